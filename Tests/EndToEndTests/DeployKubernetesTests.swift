import Foundation
import TestSupport
import Testing

/// The manifests in deploy/kubernetes, parsed by PyYAML (python3-yaml) into JSON.
@Suite("Kubernetes manifests")
struct DeployKubernetesTests {
  /// Every document of a YAML file, as JSON objects.
  static func documents(_ relative: String) throws -> [[String: Any]] {
    let script =
      "import json, sys, yaml; json.dump(list(yaml.safe_load_all(open(sys.argv[1]))), sys.stdout)"
    let output = try run(["/usr/bin/python3", "-c", script, Deploy.path(relative)]).output
    return try #require(
      try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
  }

  static func document(_ relative: String, kind: String) throws -> [String: Any] {
    let matching = try documents(relative).filter { $0["kind"] as? String == kind }
    try #require(matching.count == 1, "\(relative): one \(kind)")
    return matching[0]
  }

  /// `object[a][b]…` through dictionaries.
  static func value(_ object: Any?, _ path: String...) -> Any? {
    path.reduce(object) { ($0 as? [String: Any])?[$1] }
  }

  let daemonSet: [String: Any]
  let podSpec: [String: Any]
  let container: [String: Any]

  init() throws {
    daemonSet = try Self.document("deploy/kubernetes/daemonset.yaml", kind: "DaemonSet")
    podSpec = try #require(Self.value(daemonSet, "spec", "template", "spec") as? [String: Any])
    let containers = try #require(podSpec["containers"] as? [[String: Any]])
    try #require(containers.count == 1)
    container = containers[0]
  }

  var volumes: [String: [String: Any]] {
    Dictionary(
      uniqueKeysWithValues: (podSpec["volumes"] as? [[String: Any]] ?? []).map {
        ($0["name"] as? String ?? "", $0)
      })
  }

  /// mountPath → volume name.
  var mounts: [String: String] {
    Dictionary(
      uniqueKeysWithValues: (container["volumeMounts"] as? [[String: Any]] ?? []).map {
        ($0["mountPath"] as? String ?? "", $0["name"] as? String ?? "")
      })
  }

  @Test func runsInTheNodesNetworkNamespaceOnEveryNode() throws {
    #expect(Self.value(daemonSet, "apiVersion") as? String == "apps/v1")
    #expect(podSpec["hostNetwork"] as? Bool == true)
    #expect(podSpec["dnsPolicy"] as? String == "ClusterFirstWithHostNet")
    let tolerations = try #require(podSpec["tolerations"] as? [[String: Any]])
    // `operator: Exists` without a key tolerates every taint.
    #expect(
      tolerations.contains {
        $0["operator"] as? String == "Exists" && $0["key"] == nil && $0["effect"] == nil
      })
    let selector = Self.value(daemonSet, "spec", "selector", "matchLabels") as? [String: String]
    let labels =
      Self.value(daemonSet, "spec", "template", "metadata", "labels") as? [String: String]
    #expect(selector != nil && selector == labels)
  }

  @Test func hasNET_ADMINAndNothingElse() throws {
    let security = try #require(container["securityContext"] as? [String: Any])
    #expect(Self.value(security, "capabilities", "add") as? [String] == ["NET_ADMIN"])
    #expect(Self.value(security, "capabilities", "drop") as? [String] == ["ALL"])
    #expect(security["runAsUser"] as? Int == 0)
    #expect(security["allowPrivilegeEscalation"] as? Bool == false)
    #expect(security["readOnlyRootFilesystem"] as? Bool == true)
    #expect(security["privileged"] as? Bool != true)
    #expect(podSpec["automountServiceAccountToken"] as? Bool == false)
  }

  @Test func runsTheDaemonWithResourceLimits() throws {
    let command = (container["command"] as? [String] ?? []) + (container["args"] as? [String] ?? [])
    #expect(command.prefix(2) == ["/usr/bin/origin-guard", "run"])
    #expect(Self.value(container, "resources", "limits", "memory") != nil)
    #expect(Self.value(container, "resources", "limits", "cpu") != nil)
    #expect(Self.value(container, "resources", "requests", "memory") != nil)
    // The binary accepts the arguments (the last --config wins).
    let result = try Deploy.startsWithArguments(Array(command.dropFirst()))
    #expect(
      result.status == 1 && result.errorOutput.contains("cannot open"),
      "\(command): \(result.errorOutput)")
  }

  @Test func keepsItsStateOnTheNode() throws {
    let state = try #require(mounts["/var/lib/origin-guard"])
    #expect(Self.value(volumes[state], "hostPath", "path") as? String == "/var/lib/origin-guard")
    let metrics = try #require(mounts["/var/lib/prometheus/node-exporter"])
    #expect(
      Self.value(volumes[metrics], "hostPath", "path") as? String
        == "/var/lib/prometheus/node-exporter")
  }

  /// RRSA: the pod runs as the annotated service account, the token is projected for STS
  /// where the variables say, the configuration asks for OIDC alone and passes `validate`.
  @Test func rrsaTokenVariablesAndConfigurationAgree() async throws {
    let account = try Self.document(
      "deploy/kubernetes/serviceaccount.yaml", kind: "ServiceAccount")
    #expect(
      podSpec["serviceAccountName"] as? String == Self.value(account, "metadata", "name") as? String
    )
    #expect(
      Self.value(account, "metadata", "namespace") as? String == Self.value(
        daemonSet, "metadata", "namespace") as? String)
    let annotations = try #require(
      Self.value(account, "metadata", "annotations") as? [String: String])
    #expect(annotations["pod-identity.alibabacloud.com/role-name"] == "origin-guard-reader")
    let environment = Dictionary(
      uniqueKeysWithValues: (container["env"] as? [[String: Any]] ?? []).map {
        ($0["name"] as? String ?? "", $0["value"] as? String ?? "")
      })
    #expect(environment["ALIBABA_CLOUD_ROLE_ARN"]?.hasSuffix(":role/origin-guard-reader") == true)
    #expect(environment["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"]?.contains(":oidc-provider/") == true)
    let tokenFile = try #require(environment["ALIBABA_CLOUD_OIDC_TOKEN_FILE"])
    let tokenVolume = try #require(mounts[(tokenFile as NSString).deletingLastPathComponent])
    let sources = try #require(
      Self.value(volumes[tokenVolume], "projected", "sources") as? [[String: Any]])
    let projected = try #require(sources.first?["serviceAccountToken"] as? [String: Any])
    #expect(projected["audience"] as? String == "sts.aliyuncs.com")
    #expect(projected["path"] as? String == (tokenFile as NSString).lastPathComponent)
    // Root alone reads it: origin-guard refuses a token file others can write.
    #expect(Self.value(volumes[tokenVolume], "projected", "defaultMode") as? Int == 0o400)

    let configMap = try Self.document("deploy/kubernetes/configmap.yaml", kind: "ConfigMap")
    let config = try #require(Self.value(configMap, "data", "config.yaml") as? String)
    #expect(config.contains("use_oidc: true") && config.contains("use_ecs_ram_role: false"))
    #expect(!config.contains("credentials_file"))
    try await Deploy.withScratchDirectory { scratch in
      try Deploy.write(config, to: "\(scratch)/config.yaml")
      let result = try run(
        [OriginGuardBinary.path, "validate", "-c", "\(scratch)/config.yaml"], check: false)
      #expect(result.status == 0, "\(result.errorOutput)")
    }
  }

  /// The fallback: configmap-accesskey.yaml is the same ConfigMap, its credentials_file is the
  /// Secret's file where daemonset.yaml mounts it, and it passes `origin-guard validate`.
  @Test func theConfigMapAndTheSecretAreMountedWhereTheConfigurationLooks() async throws {
    let configMap = try Self.document(
      "deploy/kubernetes/configmap-accesskey.yaml", kind: "ConfigMap")
    let withRRSA = try Self.document("deploy/kubernetes/configmap.yaml", kind: "ConfigMap")
    #expect(
      Self.value(configMap, "metadata", "name") as? String == Self.value(
        withRRSA, "metadata", "name") as? String)
    let secret = try Self.document("deploy/kubernetes/secret.yaml", kind: "Secret")
    let configVolume = try #require(mounts["/etc/origin-guard"])
    #expect(
      Self.value(volumes[configVolume], "configMap", "name") as? String
        == Self.value(configMap, "metadata", "name") as? String)
    let config = try #require(Self.value(configMap, "data", "config.yaml") as? String)

    let credentialsFile = try #require(
      config.split(separator: "\n").lazy.compactMap { line -> String? in
        let parts = line.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "credentials_file"
        else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
      }.first)
    let directory = (credentialsFile as NSString).deletingLastPathComponent
    let secretVolume = try #require(mounts[directory], "nothing mounted at \(directory)")
    #expect(
      Self.value(volumes[secretVolume], "secret", "secretName") as? String
        == Self.value(secret, "metadata", "name") as? String)
    let key = (credentialsFile as NSString).lastPathComponent
    let ini = try #require(Self.value(secret, "stringData", key) as? String)
    #expect(ini.contains("access_key_id") && ini.contains("access_key_secret"))
    // Readable by the owner (root) alone; absent where RRSA is used.
    #expect(Self.value(volumes[secretVolume], "secret", "defaultMode") as? Int == 0o400)
    #expect(Self.value(volumes[secretVolume], "secret", "optional") as? Bool == true)
    #expect(
      Self.value(secret, "metadata", "namespace") as? String == Self.value(
        daemonSet, "metadata", "namespace") as? String)
    #expect(
      Self.value(configMap, "metadata", "namespace") as? String == Self.value(
        daemonSet, "metadata", "namespace") as? String)

    try await Deploy.withScratchDirectory { scratch in
      try Deploy.write(config, to: "\(scratch)/config.yaml")
      let result = try run(
        [OriginGuardBinary.path, "validate", "-c", "\(scratch)/config.yaml"], check: false)
      #expect(result.status == 0, "\(result.errorOutput)")
    }
  }
}
