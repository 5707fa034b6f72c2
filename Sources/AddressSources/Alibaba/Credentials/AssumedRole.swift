import Foundation

/// A RAM role to assume with STS `AssumeRole`, using the credentials the rest of the chain
/// finds as the source identity (`role_arn`, `role_session_name`, `external_id`,
/// `role_policy`).
public struct AssumedRole: Hashable, Sendable {
  /// `acs:ram::<account>:role/<name>`.
  public var arn: String
  public var sessionName: String
  /// Set when the role's trust policy demands one (cross-account roles, against the confused
  /// deputy); 2 to 1224 characters.
  public var externalID: String?
  /// A policy narrowing the temporary credentials below the role's own permissions.
  public var policy: String?

  /// STS refuses a shorter session; the longest is the role's MaxSessionDuration, at most 12 h.
  public static let durationBounds = 900...43200
  public static let defaultDurationSeconds = 3600
  /// Letters, digits and `.@-_`, 2 to 64 characters (STS's rule for RoleSessionName).
  public static func isValidSessionName(_ name: String) -> Bool {
    (2...64).contains(name.count)
      && name.unicodeScalars.allSatisfy {
        ($0.isASCII && CharacterSet.alphanumerics.contains($0))
          || ".@-_".unicodeScalars.contains($0)
      }
  }
  public static let defaultSessionName = "origin-guard"

  public init(
    arn: String, sessionName: String = AssumedRole.defaultSessionName, externalID: String? = nil,
    policy: String? = nil
  ) {
    self.arn = arn
    self.sessionName = sessionName
    self.externalID = externalID
    self.policy = policy
  }
}
