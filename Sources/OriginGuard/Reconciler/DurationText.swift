/// Durations as operators write and read them: `90s`, `5m`, `2h`, `7d`.
public enum DurationText {
  public static func describe(_ duration: Duration) -> String {
    let seconds = Int(duration.components.seconds)
    switch seconds {
    case ..<1: return "\(Int(Double(duration.components.attoseconds) / 1e15))ms"
    case ..<120: return "\(seconds)s"
    case ..<7200: return "\(seconds / 60)m"
    case ..<172_800: return "\(seconds / 3600)h"
    default: return "\(seconds / 86_400)d"
    }
  }
}
