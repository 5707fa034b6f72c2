extension RateLimit {
  /// Why the kernel would refuse this limit, mostly with EOVERFLOW ("Value too large for
  /// defined data type"), or nil when it accepts it. nft_limit_init works in nanoseconds: it
  /// refuses a rate plus burst beyond 64 bits and, for a packet limit, a bucket of
  /// (period in ns / rate) × burst tokens beyond 64 bits; for a byte limit,
  /// period in ns × (rate + burst) beyond 64 bits. Checked against the kernel in
  /// RateLimitKernelBoundsTests: `1/week burst 30500` is accepted, `burst 30501` refused.
  public var kernelRefusal: String? {
    // A rate of 0 is refused too (EINVAL), and would divide by zero below.
    guard rate > 0 else { return "a rate of 0 is refused by the kernel" }
    let (nanoseconds, periodOverflow) = periodSeconds.multipliedReportingOverflow(
      by: 1_000_000_000)
    if periodOverflow { return "a period of \(periodSeconds) s is too long for the kernel" }
    let (rateWithBurst, sumOverflow) = rate.addingReportingOverflow(UInt64(burst))
    if sumOverflow { return "rate plus burst exceeds 64 bits" }
    let overflows =
      countsBytes
      ? nanoseconds.multipliedFullWidth(by: rateWithBurst).high != 0
      : (nanoseconds / rate).multipliedReportingOverflow(by: UInt64(burst)).overflow
    guard overflows else { return nil }
    let largest = countsBytes ? nil : UInt64.max / max(1, nanoseconds / rate)
    return "the kernel's token bucket for this rate and burst exceeds 64 bits"
      + (largest.map { "; at this rate the burst can be at most \($0)" } ?? "")
  }
}
