import Foundation
import Testing

@testable import OriginGuard

/// `outputs:` as `validate` reads it.
@Suite("Configuration: outputs")
struct ConfigurationOutputsTests {
  static func load(_ outputs: String) throws -> Configuration {
    try ConfigurationLoader.parse(
      yaml: oneStaticSource + "\noutputs:\n" + outputs, path: "config.yaml", fileMode: nil)
  }

  static func problems(_ outputs: String) -> [String] {
    configurationProblems(oneStaticSource + "\noutputs:\n" + outputs)
  }

  @Test func everyKeyIsRead() throws {
    let configuration = try Self.load(
      """
        - name: web
          format: nginx-allow
          path: /etc/nginx/origin-guard/allow.conf
          mode: 0640
          owner: root:root
          sources: [health-checks]
          check: [nginx, -t, -q]
          on_change: [/usr/sbin/nginx, -s, reload]
          timeout: 5s
        - format: json
          path: /var/www/list.json
      """)
    #expect(
      configuration.outputs == [
        OutputConfig(
          name: "web", format: .nginxAllow, path: "/etc/nginx/origin-guard/allow.conf",
          mode: 0o640, ownerName: "root:root", owner: .init(uid: 0, gid: 0),
          sources: ["health-checks"], check: ["nginx", "-t", "-q"],
          onChange: ["/usr/sbin/nginx", "-s", "reload"], timeout: .seconds(5)),
        OutputConfig(name: "/var/www/list.json", format: .json, path: "/var/www/list.json"),
      ])
    #expect(
      configuration.summary.contains("outputs (2), written after every sync that changes them:"))
    #expect(
      configuration.summary.contains(
        "web: nginx-allow to /etc/nginx/origin-guard/allow.conf (mode 0640, owner root:root); sources health-checks; check: nginx -t -q; on change: /usr/sbin/nginx -s reload; commands time out after 5s"
      ), "\(configuration.summary)")
  }

  @Test func mistakesAreReportedWithTheFix() {
    let problems = Self.problems(
      """
        - format: nginx
          path: relative/allow.conf
          mode: 0666
          owner: nosuchuser-og
          sources: [health-check]
          check: nginx -t
          on_change: [./reload.sh]
          timeout: 0s
          onchange: [x]
      """)
    let expected = [
      "\"nginx\" is not an output format",
      "\"relative/allow.conf\" is relative",
      "0666 lets group or others write the file",
      "no user \"nosuchuser-og\" on this system",
      "no source is named \"health-check\"; did you mean \"health-checks\"?",
      "expected a command as a list, e.g. [nginx, -s, reload] (it runs without a shell",
      "\"./reload.sh\" is relative to a working directory",
      "0s is too short",
      "outputs[0].onchange: unknown key for an output; did you mean \"on_change\"?",
    ]
    for text in expected {
      #expect(problems.contains { $0.contains(text) }, "\(text) in \(problems)")
    }
  }

  @Test func twoOutputsCannotShareANameOrAPath() {
    let problems = Self.problems(
      """
        - name: a
          format: text
          path: /srv/a.txt
        - name: a
          format: text
          path: /srv/b.txt
        - format: json
          path: /srv/a.txt
      """)
    #expect(problems.contains { $0.contains("output name \"a\" is already used by outputs[0]") })
    #expect(problems.contains { $0.contains("/srv/a.txt is already written by outputs[0]") })
  }

  @Test func anOutputInTheStateDirectoryIsRefused() {
    let problems = configurationProblems(
      oneStaticSource + """

        state_dir: /var/lib/origin-guard
        outputs:
          - format: text
            path: /var/lib/origin-guard/state.json
        """)
    #expect(problems.contains { $0.contains("is origin-guard's own file or in its state_dir") })
  }

  @Test func anOutputKeyAtTheTopLevelSaysWhereItBelongs() {
    let problems = configurationProblems(oneStaticSource + "\non_change: [nginx, -s, reload]\n")
    #expect(
      problems.contains { $0.contains("it belongs to an output under outputs:") }, "\(problems)")
  }
}
