// Envoy's `response.flags` attribute (the legacy bitmask: bit i set = core response flag i) rendered as
// the short string Istio puts in the `response_flags` label.
//
// Short names and flag order: envoyproxy/envoy envoy/stream_info/stream_info.h (CoreResponseFlag) and
// source/common/stream_info/utility.h (ALL_RESPONSE_STRINGS_FLAGS); "-" when no flag is set and "," between
// flags as in ResponseFlagUtils::toShortString. Envoy joins flags in the order they were set; the bitmask
// only gives flag order, which is what Istio's Wasm plugin printed too (istio/proxy extensions/common/util.cc
// parseResponseFlag). Bits beyond the known flags are appended as a decimal number, as that plugin did.

const SHORT_NAMES: StaticArray<string> = [
  "LH", // 0 FailedLocalHealthCheck
  "UH", // 1 NoHealthyUpstream
  "UT", // 2 UpstreamRequestTimeout
  "LR", // 3 LocalReset
  "UR", // 4 UpstreamRemoteReset
  "UF", // 5 UpstreamConnectionFailure
  "UC", // 6 UpstreamConnectionTermination
  "UO", // 7 UpstreamOverflow
  "NR", // 8 NoRouteFound
  "DI", // 9 DelayInjected
  "FI", // 10 FaultInjected
  "RL", // 11 RateLimited
  "UAEX", // 12 UnauthorizedExternalService
  "RLSE", // 13 RateLimitServiceError
  "DC", // 14 DownstreamConnectionTermination
  "URX", // 15 UpstreamRetryLimitExceeded
  "SI", // 16 StreamIdleTimeout
  "IH", // 17 InvalidEnvoyRequestHeaders
  "DPE", // 18 DownstreamProtocolError
  "UMSDR", // 19 UpstreamMaxStreamDurationReached
  "RFCF", // 20 ResponseFromCacheFilter
  "NFCF", // 21 NoFilterConfigFound
  "DT", // 22 DurationTimeout
  "UPE", // 23 UpstreamProtocolError
  "NC", // 24 NoClusterFound
  "OM", // 25 OverloadManager
  "DF", // 26 DnsResolutionFailed
  "DO", // 27 DropOverLoad
  "DR", // 28 DownstreamRemoteReset
];

export const NO_FLAGS = "-";

/** Bit of UpstreamConnectionFailure / NoHealthyUpstream, used by the tunnel mode's ztunnel-style flags. */
export const FLAG_UPSTREAM_CONNECTION_FAILURE: u64 = 1 << 5;
export const FLAG_NO_HEALTHY_UPSTREAM: u64 = 1 << 1;

let lastMask: u64 = 0;
let lastText: string = NO_FLAGS;

/** Short-string form of the bitmask (cached for the last mask seen: nearly every request repeats it). */
export function responseFlagsString(mask: u64): string {
  if (mask == lastMask) return lastText;
  let text = "";
  const known = SHORT_NAMES.length;
  for (let i = 0; i < known; i++) {
    if ((mask & (<u64>1 << <u64>i)) != 0) {
      if (text.length > 0) text += ",";
      text += unchecked(SHORT_NAMES[i]);
    }
  }
  const unknownBits = mask >> <u64>known;
  if (unknownBits != 0) {
    if (text.length > 0) text += ",";
    text += mask.toString();
  }
  if (text.length == 0) text = NO_FLAGS;
  lastMask = mask;
  lastText = text;
  return text;
}
