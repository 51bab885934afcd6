// W3C Trace Context `traceparent` values: generation without a random source, and validation.
//
// AssemblyScript's Math.random imports `env.seed`, which Envoy does not provide (the module would be rejected
// at load), so ids are derived instead: a per-VM seed taken from the clock at configure time, the current time
// in nanoseconds and a caller-supplied salt (e.g. the context id) are mixed with SplitMix64, plus a per-VM
// counter so two ids made in the same nanosecond still differ. The ids are unique in practice but NOT
// unpredictable; nothing security-relevant may depend on them (ztunnel uses them only to correlate logs).

import { StringBuilder, hexDigitLower, hexDigitValue } from "./strings";

const GOLDEN_GAMMA: u64 = 0x9e3779b97f4a7c15;

/** SplitMix64 finaliser: a bijective mix with good avalanche (Steele, Lea, Flood 2014). */
export function mix64(x: u64): u64 {
  let z = x + GOLDEN_GAMMA;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

function appendHex64(out: StringBuilder, v: u64): void {
  for (let shift: i32 = 60; shift >= 0; shift -= 4) out.append(hexDigitLower(<i32>((v >> <u64>shift) & 0xf)));
}

/** Formats `00-<trace-id>-<parent-id>-<flags>`; zero ids are not allowed by W3C and are bumped to 1. */
export function formatTraceparent(traceHigh: u64, traceLow: u64, parentId: u64, sampled: bool): string {
  if (traceHigh == 0 && traceLow == 0) traceLow = 1;
  if (parentId == 0) parentId = 1;
  const out = new StringBuilder(55);
  out.append("00-");
  appendHex64(out, traceHigh);
  appendHex64(out, traceLow);
  out.append("-");
  appendHex64(out, parentId);
  out.append(sampled ? "-01" : "-00");
  return out.toString();
}

/** Makes fresh traceparent values for one VM. */
export class TraceparentSource {
  private counter: u64 = 0;

  /** `seed` should differ between VMs: the clock reading at configure time is enough. */
  constructor(private seed: u64) {}

  /** A new not-sampled traceparent (flags 00, as ztunnel sends). */
  next(nowNanoseconds: u64, salt: u64): string {
    this.counter++;
    const a = mix64(this.seed ^ nowNanoseconds);
    const b = mix64(a ^ (salt * GOLDEN_GAMMA) ^ this.counter);
    const c = mix64(b + this.counter);
    return formatTraceparent(a, b, c, false);
  }
}

function isLowerHexRun(s: string, start: i32, end: i32): bool {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (hexDigitValue(c) < 0 || (c >= 0x41 && c <= 0x46)) return false;
  }
  return true;
}

function isAllZero(s: string, start: i32, end: i32): bool {
  for (let i = start; i < end; i++) if (s.charCodeAt(i) != 0x30) return false;
  return true;
}

/**
 * True for a well-formed W3C traceparent: lower-case hex, version not "ff", non-zero ids. Version 00 must be
 * exactly 55 characters; later versions may append "-..." fields (W3C forward compatibility).
 */
export function isValidTraceparent(s: string): bool {
  const n = s.length;
  if (n < 55) return false;
  if (!isLowerHexRun(s, 0, 2) || s.charCodeAt(2) != 0x2d) return false;
  const isV00 = s.charCodeAt(0) == 0x30 && s.charCodeAt(1) == 0x30;
  if (s.charCodeAt(0) == 0x66 && s.charCodeAt(1) == 0x66) return false;
  if (isV00 && n != 55) return false;
  if (!isV00 && n > 55 && s.charCodeAt(55) != 0x2d) return false;
  if (!isLowerHexRun(s, 3, 35) || s.charCodeAt(35) != 0x2d) return false;
  if (!isLowerHexRun(s, 36, 52) || s.charCodeAt(52) != 0x2d) return false;
  if (!isLowerHexRun(s, 53, 55)) return false;
  return !isAllZero(s, 3, 35) && !isAllZero(s, 36, 52);
}
