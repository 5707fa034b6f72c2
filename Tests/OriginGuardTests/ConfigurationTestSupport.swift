@testable import OriginGuard

/// The problems `parse` reports for `yaml`, as the operator sees them; empty when it loads.
func configurationProblems(_ yaml: String, fileMode: UInt32? = nil) -> [String] {
  do {
    _ = try ConfigurationLoader.parse(yaml: yaml, path: "config.yaml", fileMode: fileMode)
    return []
  } catch {
    return error.problems.map(\.description)
  }
}

func configurationProblemKinds(_ yaml: String, fileMode: UInt32? = nil) -> [ConfigurationProblem
  .Kind]
{
  do {
    _ = try ConfigurationLoader.parse(yaml: yaml, path: "config.yaml", fileMode: fileMode)
    return []
  } catch {
    return error.problems.map(\.kind)
  }
}

/// A valid `sources:` block, for tests about other keys.
let oneStaticSource = """
  sources:
    - name: health-checks
      type: static
      addresses: [100.64.0.0/10]
  """
