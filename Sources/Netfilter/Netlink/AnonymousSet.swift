/// Anonymous constant sets (`{ 80, 443 }`) belong to the rule that uses them: created in the
/// same batch just before it, named by the kernel from this pattern, referred to by a
/// batch-local id until then, and freed with the rule.
enum AnonymousSet {
  static let namePattern = "__set%d"

  /// The kernel's names for them; such sets are not part of `Table.sets`.
  static func isAnonymous(name: String) -> Bool { name.hasPrefix("__set") }
}
