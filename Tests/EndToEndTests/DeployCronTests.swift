import Foundation
import TestSupport
import Testing

/// An /etc/cron.d file as cron reads it: environment lines and jobs (schedule, user, command).
struct CronFile {
  struct Job {
    var schedule: String
    var user: String
    /// The command as the shell receives it: `\%` unescaped; an unescaped `%` would end the
    /// command (the rest is standard input), which is how cron mangles `$((RANDOM % 60))`.
    var command: String
    var standardInput: String?
  }

  var environment: [String: String] = [:]
  var jobs: [Job] = []

  init(text: String) {
    for rawLine in text.split(separator: "\n") {
      let line = rawLine.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      if let assignment = line.wholeMatch(of: /([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)/) {
        environment[String(assignment.1)] = String(assignment.2)
        continue
      }
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      let scheduleFields = line.hasPrefix("@") ? 1 : 5
      let schedule = fields.prefix(scheduleFields).joined(separator: " ")
      let user = String(fields[scheduleFields])
      // The command is the rest of the line after the user field, spacing preserved.
      var rest = Substring(line)
      for _ in 0...scheduleFields {
        rest = rest.drop { $0 != " " }.drop { $0 == " " }
      }
      let (command, input) = Self.percentProcessed(String(rest))
      jobs.append(Job(schedule: schedule, user: user, command: command, standardInput: input))
    }
  }

  static func percentProcessed(_ raw: String) -> (String, String?) {
    var command = ""
    var escaped = false
    for (offset, character) in raw.enumerated() {
      if escaped {
        if character != "%" { command.append("\\") }
        command.append(character)
        escaped = false
      } else if character == "\\" {
        escaped = true
      } else if character == "%" {
        return (command, String(raw.dropFirst(offset + 1)))
      } else {
        command.append(character)
      }
    }
    if escaped { command.append("\\") }
    return (command, nil)
  }
}

@Suite("cron")
struct DeployCronTests {
  let cron: CronFile

  init() throws {
    cron = CronFile(text: try Deploy.text("deploy/cron/origin-guard"))
  }

  @Test func runsUnderBashBecauseRANDOMIsABashism() {
    // dash, cron's default /bin/sh, has no $RANDOM: every host of a fleet would sleep 0.
    #expect(cron.environment["SHELL"] == "/bin/bash")
  }

  @Test func syncsEveryFiveMinutesAfterARandomSleep() throws {
    let job = try #require(cron.jobs.first { $0.schedule == "*/5 * * * *" })
    #expect(job.user == "root")
    #expect(job.standardInput == nil, "an unescaped % cut the command short")
    #expect(job.command == "sleep $((RANDOM % 60)); /usr/bin/origin-guard sync --wait")
  }

  @Test func restoresFromTheCacheAtBoot() throws {
    let job = try #require(cron.jobs.first { $0.schedule == "@reboot" })
    #expect(job.user == "root")
    #expect(job.command == "/usr/bin/origin-guard sync --from-cache")
  }

  @Test func onlyTheseTwoJobs() {
    #expect(cron.jobs.map(\.schedule) == ["*/5 * * * *", "@reboot"])
  }

  /// Runs each command as cron would hand it to bash, with `sleep` recording its argument and
  /// the real binary started with a configuration that does not exist: exit 1 "cannot open"
  /// means it accepted every option (an unknown one exits 64).
  @Test func bashRunsTheCommandsAndTheBinaryAcceptsThem() throws {
    for job in cron.jobs {
      let command =
        job.command.replacingOccurrences(of: "/usr/bin/origin-guard", with: OriginGuardBinary.path)
        + " --config /nonexistent/config.yaml"
      let result = try run(
        ["bash", "-c", "sleep() { echo \"slept $1\"; }; \(command)"], check: false)
      #expect(
        result.status == 1 && result.errorOutput.contains("cannot open"),
        "\(job.command): \(result.errorOutput)")
      if job.command.hasPrefix("sleep") {
        let slept = result.output.split(separator: "\n").first { $0.hasPrefix("slept ") }
        let seconds = try #require(slept.flatMap { Int($0.dropFirst("slept ".count)) })
        #expect((0..<60).contains(seconds))
      }
    }
  }

  @Test func cronTreatsAPercentSignAsTheEndOfTheCommand() {
    // The parser above must agree with cron, or the checks on the command mean nothing.
    #expect(CronFile.percentProcessed("echo $((RANDOM % 60))") == ("echo $((RANDOM ", " 60))"))
    #expect(CronFile.percentProcessed("echo $((RANDOM \\% 60))").0 == "echo $((RANDOM % 60))")
    #expect(CronFile.percentProcessed("a\\b").0 == "a\\b")
  }
}
