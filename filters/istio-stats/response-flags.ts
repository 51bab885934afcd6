// Envoy's `response.flags` attribute (the legacy bitmask: bit i set = core response flag i) rendered as
// the short string Istio puts in the `response_flags` label.
//
// Bit order: envoyproxy/envoy envoy/stream_info/stream_info.h (CoreResponseFlag, 0 = FailedLocalHealthCheck …
// 29 = UnconditionalDropOverload = LastFlag); StreamInfoImpl::legacyResponseFlags sets bit i for every flag up to
// LastFlag. Short names: source/common/stream_info/utility.h (ALL_RESPONSE_STRINGS_FLAGS; "-" when no flag is
// set, "," between flags as in ResponseFlagUtils::toShortString). Envoy joins flags in the order they were set;
// the bitmask only gives flag order, which is what Istio's Wasm plugin printed too (istio/proxy
// extensions/common/util.cc parseResponseFlag). Bits beyond the known flags are appended as the mask's decimal
// value, as that plugin did.

import { formatInt } from "../../sdk/format";

/** Decimal text of a u64 (formatInt takes i64: the last digit is split off so values ≥ 2^63 print exactly). */
function formatU64(v: u64): string {
  return v <= <u64>i64.MAX_VALUE ? formatInt(<i64>v) : formatInt(<i64>(v / 10)) + formatInt(<i64>(v % 10));
}

/** Short names in bit order, comma-separated (one string keeps the module small). */
const SHORT_NAMES = "LH,UH,UT,LR,UR,UF,UC,UO,NR,DI,FI,RL,UAEX,RLSE,DC,URX,SI,IH,DPE,UMSDR,RFCF,NFCF,DT,UPE,NC,OM,DF,DO,DR,UDO";
const KNOWN_FLAGS: u64 = 30;

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
  let bit: u64 = 0;
  let start = 0;
  const names = SHORT_NAMES;
  for (let i = 0, n = names.length; i <= n; i++) {
    if (i < n && names.charCodeAt(i) != 0x2c /* , */) continue;
    if ((mask >> bit) & 1) text += (text.length > 0 ? "," : "") + names.substring(start, i);
    bit++;
    start = i + 1;
  }
  if (mask >> KNOWN_FLAGS) text += (text.length > 0 ? "," : "") + formatU64(mask);
  if (text.length == 0) text = NO_FLAGS;
  lastMask = mask;
  lastText = text;
  return text;
}
