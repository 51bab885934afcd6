// Istio workload identities: SPIFFE ids `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>` and
// the AuthorizationPolicy "principal" form, which is the same text without `spiffe://`.

import { isAsciiAlphaNumeric, splitBounded } from "./strings";

export const SPIFFE_SCHEME_PREFIX = "spiffe://";
/** SPIFFE ids longer than this are rejected (the SPIFFE spec's URI length limit). */
export const SPIFFE_MAX_LENGTH: i32 = 2048;

export class SpiffeId {
  constructor(public readonly trustDomain: string, public readonly namespace: string, public readonly serviceAccount: string) {}

  /** `spiffe://cluster.local/ns/default/sa/sleep` — also the `*_principal` metric label value. */
  toString(): string {
    return SPIFFE_SCHEME_PREFIX + this.principal();
  }

  /** `cluster.local/ns/default/sa/sleep` — how AuthorizationPolicy `principals` are written. */
  principal(): string {
    return this.trustDomain + "/ns/" + this.namespace + "/sa/" + this.serviceAccount;
  }

  equals(other: SpiffeId): bool {
    return this.trustDomain == other.trustDomain && this.namespace == other.namespace && this.serviceAccount == other.serviceAccount;
  }
}

/** `spiffe://<td>/ns/<ns>/sa/<sa>` from its parts (no validation; use with trusted config values). */
export function formatSpiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return SPIFFE_SCHEME_PREFIX + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
}

/**
 * Parses an Istio SPIFFE id. Like ztunnel (`Identity::from_str`) it requires the `spiffe://` prefix and
 * exactly five path segments `<td>/ns/<ns>/sa/<sa>`; it is stricter in also rejecting empty segments,
 * characters outside the SPIFFE spec's sets (trust domain: `a-z 0-9 . - _`; path segments: letters,
 * digits, `. - _`), `.`/`..` segments and ids over 2048 characters. Returns null when invalid.
 */
export function parseSpiffeId(uri: string): SpiffeId | null {
  if (uri.length > SPIFFE_MAX_LENGTH || !uri.startsWith(SPIFFE_SCHEME_PREFIX)) return null;
  return parsePrincipal(uri.substring(SPIFFE_SCHEME_PREFIX.length));
}

/** Parses the principal form `<td>/ns/<ns>/sa/<sa>` with the same rules as `parseSpiffeId`. */
export function parsePrincipal(principal: string): SpiffeId | null {
  if (principal.length > SPIFFE_MAX_LENGTH) return null;
  const parts = splitBounded(principal, 0x2f, 5);
  if (parts === null || parts.length != 5) return null;
  const td = unchecked(parts[0]);
  const ns = unchecked(parts[2]);
  const sa = unchecked(parts[4]);
  if (unchecked(parts[1]) != "ns" || unchecked(parts[3]) != "sa") return null;
  if (!isTrustDomain(td) || !isPathSegment(ns) || !isPathSegment(sa)) return null;
  return new SpiffeId(td, ns, sa);
}

/** The principal form of any `spiffe://` URI (text after the scheme), or null without that prefix. */
export function principalOf(uri: string): string | null {
  if (!uri.startsWith(SPIFFE_SCHEME_PREFIX)) return null;
  return uri.substring(SPIFFE_SCHEME_PREFIX.length);
}

/** SPIFFE spec trust domain characters: lower-case letters, digits, `.`, `-`, `_`. */
export function isTrustDomain(s: string): bool {
  const n = s.length;
  if (n == 0 || n > 255) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2e || c == 0x2d || c == 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** SPIFFE spec path segment: letters, digits, `.`, `-`, `_`; not empty, `.` or `..`. */
export function isPathSegment(s: string): bool {
  const n = s.length;
  if (n == 0 || s == "." || s == "..") return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!isAsciiAlphaNumeric(c) && c != 0x2e && c != 0x2d && c != 0x5f) return false;
  }
  return true;
}
