import AddressSources

/// A configuration file that holds an AccessKey secret must not be readable by anyone but its
/// owner. The mode is taken from the same open file the text was read from.
enum InlineSecretCheck {
  /// Reports a problem at the secret when group or others have any access to the file.
  static func check(_ secret: YAMLField, source: String, fileMode: UInt32?) {
    guard let fileMode, fileMode & 0o077 != 0 else { return }
    let path = secret.problems.path
    secret.report(
      .secretInReadableFile,
      "source \(String(reflecting: source)) has an AccessKey secret in this file, which group or others can access (mode \(octal(fileMode))); run chmod 600 \(path), or move the key to a credentials_file with mode 0600"
    )
  }

  static func octal(_ mode: UInt32) -> String { FileTrust.octal(mode) }
}
