import AddressSources
import Foundation
import NIOHTTP1
import Testing

@Suite struct SignerTests {
  /// The fixed-value example of "V3 request structure and signature", byte for byte.
  @Test func documentedV3Example() {
    let signed = ACS3Signer.sign(
      ACS3Signer.Request(
        method: "POST",
        query: [
          "ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
          "RegionId": "cn-shanghai",
        ],
        headers: [
          "host": "ecs.cn-shanghai.aliyuncs.com",
          "x-acs-action": "RunInstances",
          "x-acs-version": "2014-05-26",
          "x-acs-date": "2023-10-26T10:22:32Z",
          "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
          "x-acs-content-sha256":
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ]),
      accessKeySecret: "YourAccessKeySecret")
    let expectedCanonicalRequest = """
      POST
      /
      ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai
      host:ecs.cn-shanghai.aliyuncs.com
      x-acs-action:RunInstances
      x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
      x-acs-date:2023-10-26T10:22:32Z
      x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d
      x-acs-version:2014-05-26

      host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version
      e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
      """
    #expect(signed.canonicalRequest == expectedCanonicalRequest)
    #expect(
      signed.stringToSign
        == "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259")
    #expect(signed.signature == "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0")
    #expect(
      signed.authorization(accessKeyID: "YourAccessKeyId")
        == "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
        + "x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    )
  }

  @Test func emptyBodyHashIsTheDocumentedOne() {
    #expect(
      ACS3Signer.emptyBodyHash == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
  }

  /// The documented V2 (RPC, HMAC-SHA1) example, as GET and as POST.
  @Test(arguments: [
    ("GET", "9NaGiOspFP5UPcwX8Iwt2YJXXuk="), ("POST", "ZvQ9xGiFnquSJRvj+WE6kdSpTwU="),
  ])
  func documentedV2Example(method: String, signature: String) {
    let parameters = [
      "AccessKeyId": "testid", "Action": "DescribeDedicatedHosts", "Format": "JSON",
      "RegionId": "cn-beijing",
      "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "edb2b34af0af9a6d14deaf7c1a5315eb",
      "SignatureVersion": "1.0", "Timestamp": "2023-03-13T08:34:30Z", "Version": "2014-05-26",
    ]
    #expect(
      ACS3Signer.canonicalQueryString(parameters)
        == "AccessKeyId=testid&Action=DescribeDedicatedHosts&Format=JSON&RegionId=cn-beijing&SignatureMethod=HMAC-SHA1"
        + "&SignatureNonce=edb2b34af0af9a6d14deaf7c1a5315eb&SignatureVersion=1.0&Timestamp=2023-03-13T08%3A34%3A30Z"
        + "&Version=2014-05-26")
    #expect(
      RPCV2Signer.signature(method: method, parameters: parameters, accessKeySecret: "testsecret")
        == signature)
  }

  @Test func percentEncodingIsRFC3986() {
    #expect(ACS3Signer.percentEncode("a b*c~d/e+f=g&é") == "a%20b%2Ac~d%2Fe%2Bf%3Dg%26%C3%A9")
    #expect(ACS3Signer.percentEncode("AZaz09-_.~") == "AZaz09-_.~")
  }

  /// The signer and the test server's independent verifier agree, STS headers included, and a
  /// changed header breaks the signature.
  @Test func independentVerifierAgreesWithTheSigner() {
    var headers = [
      "host": "127.0.0.1:8080", "x-acs-action": "DescribeL2VipsByDomain",
      "x-acs-version": "2018-05-10",
      "x-acs-date": "2026-01-01T00:00:00Z",
      "x-acs-signature-nonce": "00112233445566778899aabbccddeeff",
      "x-acs-content-sha256": ACS3Signer.emptyBodyHash, "accept": "application/json",
      "x-acs-security-token": "token/with+odd=chars", "x-acs-accesskey-id": "STS.id",
    ]
    let query = ["DomainName": "www.example.com", "Odd": "a b/c"]
    let signed = ACS3Signer.sign(
      ACS3Signer.Request(method: "POST", query: query, headers: headers), accessKeySecret: "s3cret")
    headers["authorization"] = signed.authorization(accessKeyID: "STS.id")
    func request(_ headers: [String: String]) -> TestRequest {
      TestRequest(
        method: .POST, uri: "/?" + ACS3Signer.canonicalQueryString(query),
        headers: HTTPHeaders(headers.map { ($0.key, $0.value) }), body: [])
    }
    #expect(
      IndependentV3Verifier.verify(request(headers), secrets: ["STS.id": "s3cret"])
        == .valid(accessKeyID: "STS.id"))
    #expect(
      IndependentV3Verifier.verify(request(headers), secrets: ["STS.id": "other"])
        == .invalid("signature mismatch"))
    var altered = headers
    altered["x-acs-date"] = "2026-01-01T00:00:01Z"
    #expect(
      IndependentV3Verifier.verify(request(altered), secrets: ["STS.id": "s3cret"])
        == .invalid("signature mismatch"))
    #expect(!signed.signedHeaders.contains("accept"))
  }
}
