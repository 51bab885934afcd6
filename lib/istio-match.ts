// Istio AuthorizationPolicy value matching, as Istio compiles it for Envoy RBAC and as ztunnel evaluates it.
//
// Sources (istio/istio): pilot/pkg/security/authz/matcher/string.go (`StringMatcherWithPrefix`),
// header.go (`HeaderMatcher`, `HostMatcher`, `PathMatcher`), template.go, model/generator.go (per-field
// generators); istio/ztunnel src/rbac.rs (`StringMatch::matches`, `matches_principal`); Envoy
// source/extensions/path/uri_template_lib (path templates). Summary of the rules:
//   value "*"     → any non-empty value (Envoy regex `.+`; ztunnel Presence). For headers, methods and
//                   hosts Istio emits `present_match` instead: the header only has to exist.
//   value "*abc"  → suffix "abc"          value "abc*" → prefix "abc"          otherwise exact.
//   "*" is checked first, then a leading "*", then a trailing "*": "*abc*" is the suffix "abc*".
//   Principals get `spiffe://` prepended to the value (so `*abc` is regex `spiffe://.*abc`) — except "*",
//   which matches any non-empty identity in Envoy; ztunnel strips `spiffe://` from the peer first and a
//   peer without it never matches anything.
// A peer identity that is empty, absent or longer than SPIFFE_MAX_LENGTH (2048, the SPIFFE URI limit) never
// matches any identity value — it is treated like "no identity", which also bounds the matching cost.

import { SPIFFE_MAX_LENGTH, SPIFFE_SCHEME_PREFIX, SpiffeId, parseSpiffeId } from "./spiffe";
import { StringBuilder, asciiLower, splitBounded } from "./strings";

export enum StringMatchKind {
  Exact = 0,
  Prefix = 1,
  Suffix = 2,
  /** Any non-empty value. */
  Presence = 3,
}

/** One compiled AuthorizationPolicy string value. */
export class IstioStringMatch {
  constructor(public readonly kind: StringMatchKind, public readonly value: string) {}

  /** Case-sensitive match of `s` (Presence: `s` is non-empty). */
  matches(s: string): bool {
    switch (this.kind) {
      case StringMatchKind.Exact: return s == this.value;
      case StringMatchKind.Prefix: return s.startsWith(this.value);
      case StringMatchKind.Suffix: return s.endsWith(this.value);
      default: return s.length > 0;
    }
  }

  /** ASCII case-insensitive match (Envoy `ignore_case`, used for hosts). */
  matchesIgnoreCase(s: string): bool {
    if (this.kind == StringMatchKind.Presence) return s.length > 0;
    return new IstioStringMatch(this.kind, asciiLower(this.value)).matches(asciiLower(s));
  }

  /** The pattern as written in a policy. */
  toString(): string {
    switch (this.kind) {
      case StringMatchKind.Exact: return this.value;
      case StringMatchKind.Prefix: return this.value + "*";
      case StringMatchKind.Suffix: return "*" + this.value;
      default: return "*";
    }
  }
}

/** Compiles a policy value with Istio's rules: "*" → Presence, "*x" → Suffix x, "x*" → Prefix x, else Exact. */
export function compileIstioString(pattern: string): IstioStringMatch {
  if (pattern == "*") return new IstioStringMatch(StringMatchKind.Presence, "");
  if (pattern.startsWith("*")) return new IstioStringMatch(StringMatchKind.Suffix, pattern.substring(1));
  if (pattern.endsWith("*")) return new IstioStringMatch(StringMatchKind.Prefix, pattern.substring(0, pattern.length - 1));
  return new IstioStringMatch(StringMatchKind.Exact, pattern);
}

/** `compileIstioString(pattern).matches(value)`. */
export function istioStringMatches(pattern: string, value: string): bool {
  return compileIstioString(pattern).matches(value);
}

/**
 * `principals` / `notPrincipals` (and `source.principal` in `when`). `peerUri` is the peer certificate's
 * URI SAN (`spiffe://td/ns/x/sa/y`), or null/"" without mTLS — which never matches. Envoy semantics by
 * default; `ztunnel` selects ztunnel's (differs only for "*" against a non-`spiffe://` identity).
 */
export function principalMatches(pattern: string, peerUri: string | null, ztunnel: bool = false): bool {
  if (!usableIdentity(peerUri)) return false;
  const peer = peerUri!;
  const m = compileIstioString(pattern);
  const hasScheme = peer.startsWith(SPIFFE_SCHEME_PREFIX);
  if (m.kind == StringMatchKind.Presence) return ztunnel ? hasScheme && peer.length > SPIFFE_SCHEME_PREFIX.length : true;
  if (!hasScheme) return false;
  return m.matches(peer.substring(SPIFFE_SCHEME_PREFIX.length));
}

/**
 * `namespaces` / `notNamespaces` (and `source.namespace`). Envoy: Istio's regex "any, `/ns/<v>/`, any" over
 * the peer URI, with every `*` in the value meaning "any characters" (generator.go `srcNamespaceGenerator`).
 * ztunnel: the value as a string match on the namespace of a valid `spiffe://td/ns/<ns>/sa/<sa>` id.
 */
export function namespaceMatches(pattern: string, peerUri: string | null, ztunnel: bool = false): bool {
  if (!usableIdentity(peerUri)) return false;
  const peer = peerUri!;
  if (ztunnel) {
    const id = parseSpiffeId(peer);
    return id !== null && compileIstioString(pattern).matches(id.namespace);
  }
  if (hasNewline(peer)) return false; // RE2 `.` never matches a newline
  return globMatches("*/ns/" + pattern + "/*", peer);
}

/**
 * `serviceAccounts` (`<ns>/<sa>`, or `<sa>` in the policy's namespace). Envoy: Istio's regex
 * `spiffe://.+/ns/<ns>/(.+/|)sa/<sa>(/.+)?`; ztunnel: exact (namespace, service account) of a valid id.
 */
export function serviceAccountMatches(value: string, policyNamespace: string, peerUri: string | null, ztunnel: bool = false): bool {
  if (!usableIdentity(peerUri)) return false;
  const peer = peerUri!;
  if (ztunnel) {
    const id = parseSpiffeId(peer);
    return id !== null && serviceAccountMatchesId(value, policyNamespace, id);
  }
  if (!peer.startsWith(SPIFFE_SCHEME_PREFIX) || hasNewline(peer)) return false;
  // Compared in place (no substrings): a request may evaluate thousands of these.
  const slash = value.indexOf("/");
  const nsStart = slash >= 0 ? 0 : -1;
  const nsLength = slash >= 0 ? slash : policyNamespace.length;
  const saStart = slash + 1;
  const saLength = value.length - saStart;
  const base = SPIFFE_SCHEME_PREFIX.length;
  const n = peer.length;
  // peer = "spiffe://" T "/ns/<ns>/" X "sa/<sa>" Y with T non-empty, X empty or ".+/", Y empty or "/.+".
  for (let p = peer.indexOf("/ns/", base + 1); p >= base + 1; p = peer.indexOf("/ns/", p + 1)) {
    const nsAt = p + 4;
    const nsMatches = nsStart >= 0
      ? regionEquals(peer, nsAt, value, 0, nsLength)
      : regionEquals(peer, nsAt, policyNamespace, 0, nsLength);
    if (!nsMatches || nsAt + nsLength >= n || peer.charCodeAt(nsAt + nsLength) != 0x2f) continue;
    const afterNs = nsAt + nsLength + 1;
    for (let q = peer.indexOf("sa/", afterNs); q >= 0; q = peer.indexOf("sa/", q + 1)) {
      const x = q - afterNs;
      if (x != 0 && (x < 2 || peer.charCodeAt(q - 1) != 0x2f)) continue;
      if (!regionEquals(peer, q + 3, value, saStart, saLength)) continue;
      const end = q + 3 + saLength;
      const y = n - end;
      if (y == 0 || (y >= 2 && peer.charCodeAt(end) == 0x2f)) return true;
    }
  }
  return false;
}

/** ztunnel's `serviceAccounts` check against an already parsed identity: exact namespace and service account. */
export function serviceAccountMatchesId(value: string, policyNamespace: string, id: SpiffeId): bool {
  const slash = value.indexOf("/");
  const sa = id.serviceAccount;
  const saStart = slash + 1;
  if (value.length - saStart != sa.length || !regionEquals(value, saStart, sa, 0, sa.length)) return false;
  if (slash < 0) return id.namespace == policyNamespace;
  return slash == id.namespace.length && regionEquals(value, 0, id.namespace, 0, slash);
}

/** a[aAt, aAt+length) == b[bAt, bAt+length), false when either runs out. */
function regionEquals(a: string, aAt: i32, b: string, bAt: i32, length: i32): bool {
  if (aAt < 0 || bAt < 0 || aAt + length > a.length || bAt + length > b.length) return false;
  for (let k = 0; k < length; k++) if (a.charCodeAt(aAt + k) != b.charCodeAt(bAt + k)) return false;
  return true;
}

/**
 * `request.headers[...]` values and `methods`: "*" only requires the header to be present (Envoy
 * `present_match`, even with an empty value); other values are case-sensitive string matches. `value` is
 * null when the header is absent.
 */
export function headerMatches(pattern: string, value: string | null): bool {
  if (value === null) return false;
  if (pattern == "*") return true;
  return compileIstioString(pattern).matches(value);
}

/** `hosts`: like `headerMatches` on the Host/:authority header but ASCII case-insensitive (`HostMatcher`). */
export function hostMatches(pattern: string, host: string | null): bool {
  if (host === null) return false;
  if (pattern == "*") return true;
  return compileIstioString(pattern).matchesIgnoreCase(host);
}

/**
 * `paths`: the request path without query string and fragment (Envoy PathMatcher) against the value —
 * a URI template when it contains `{*}` or `{**}`, else an Istio string match ("*" = non-empty).
 * An invalid template never matches (validate policies with `PathTemplate.compile`).
 */
export function pathMatches(pattern: string, path: string): bool {
  const bare = stripQueryAndFragment(path);
  if (isPathTemplate(pattern)) {
    const template = PathTemplate.compile(pattern);
    return template !== null && template.matches(bare);
  }
  return compileIstioString(pattern).matches(bare);
}

/** `path` up to the first `?` or `#`. */
export function stripQueryAndFragment(path: string): string {
  const n = path.length;
  for (let i = 0; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c == 0x3f || c == 0x23) return path.substring(0, i);
  }
  return path;
}

/** Istio's `security.ContainsPathTemplate`: the value contains `{*}` or `{**}`. */
export function isPathTemplate(pattern: string): bool {
  return pattern.indexOf("{*}") >= 0 || pattern.indexOf("{**}") >= 0;
}

function usableIdentity(peerUri: string | null): bool {
  return peerUri !== null && peerUri.length > 0 && peerUri.length <= SPIFFE_MAX_LENGTH;
}

function hasNewline(s: string): bool {
  return s.indexOf("\n") >= 0;
}

/**
 * Full-match of `text` against `pattern` where `*` stands for any run of characters and every other
 * character is literal. Iterative with a single backtrack point: O(n·m), no recursion.
 */
export function globMatches(pattern: string, text: string): bool {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  const pn = pattern.length;
  const tn = text.length;
  while (t < tn) {
    const tc = text.charCodeAt(t);
    if (p < pn && pattern.charCodeAt(p) == 0x2a) {
      starP = p++;
      starT = t;
    } else if (p < pn && pattern.charCodeAt(p) == tc) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pn && pattern.charCodeAt(p) == 0x2a) p++;
  return p == pn;
}

// ---- URI templates ----------------------------------------------------------------------------------------

const SEGMENT_LITERAL: i32 = 0;
const SEGMENT_PATH_GLOB: i32 = 1; // `*`: one or more pchars, no '/'
const SEGMENT_TEXT_GLOB: i32 = 2; // `**`: zero or more pchars or '/'
const TEMPLATE_MAX_LENGTH: i32 = 1024;
const TEMPLATE_MATCH_BUDGET: i32 = 100000;
let templateBudget: i32 = 0;

/** RFC 3986 pchar as Envoy's uri_template accepts it: unreserved, `%`, `!$&'()+,;:@=`. */
function isTemplateLiteralChar(c: i32): bool {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return true;
  return (
    c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e || c == 0x25 || c == 0x21 || c == 0x24 || c == 0x26 ||
    c == 0x27 || c == 0x28 || c == 0x29 || c == 0x2b || c == 0x2c || c == 0x3b || c == 0x3a || c == 0x40 || c == 0x3d
  );
}

function withoutBraces(s: string): string {
  const out = new StringBuilder(s.length);
  for (let i = 0, n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c != 0x7b && c != 0x7d) out.appendCharCode(c);
  }
  return out.toString();
}

/**
 * An AuthorizationPolicy path template. Istio only accepts `{*}` and `{**}` as whole path segments, turns
 * them into `*` and `**` and hands the result to Envoy's uri_template matcher: `*` matches one non-empty
 * path segment, `**` zero or more characters including `/` (only literal segments may follow it).
 */
export class PathTemplate {
  private kinds: Array<i32> = new Array<i32>();
  private literals: Array<string> = new Array<string>();

  /**
   * Null when Istio's validation (`security.CheckValidPathTemplate`: every segment is `{*}`, `{**}` or a
   * pchar literal; nothing after `{**}` but literals) or Envoy's (leading `/`, no `//`) would reject it.
   */
  static compile(pattern: string): PathTemplate | null {
    if (pattern.length > TEMPLATE_MAX_LENGTH || !pattern.startsWith("/")) return null;
    let first = 0;
    let last = pattern.length;
    while (first < last && pattern.charCodeAt(first) == 0x2f) first++;
    while (last > first && pattern.charCodeAt(last - 1) == 0x2f) last--;
    const segments = splitBounded(pattern.substring(first, last), 0x2f, TEMPLATE_MAX_LENGTH + 1)!; // never more parts
    let sawMatchAny = false;
    for (let i = 0; i < segments.length; i++) {
      const segment = unchecked(segments[i]);
      if ((segment == "{*}" || segment == "{**}") && !sawMatchAny) {
        if (segment == "{**}") sawMatchAny = true;
        continue;
      }
      if (segment == "{*}" || segment == "{**}") return null; // "{**} is not the last operator"
      if (segment.length == 0) return null;
      for (let k = 0; k < segment.length; k++) if (!isTemplateLiteralChar(segment.charCodeAt(k))) return null;
    }
    // Istio's rewrite {**} → **, {*} → *: after the checks above braces occur only in those two operators.
    const sanitized = withoutBraces(pattern);
    const t = new PathTemplate();
    let sawTextGlob = false;
    let i = 0;
    const n = sanitized.length;
    while (i < n) {
      const c = sanitized.charCodeAt(i);
      if (c == 0x2a) {
        if (sawTextGlob) return null; // "Glob after text glob."
        if (sanitized.charCodeAt(i + 1) == 0x2a) {
          t.kinds.push(SEGMENT_TEXT_GLOB);
          sawTextGlob = true;
          i += 2;
        } else {
          t.kinds.push(SEGMENT_PATH_GLOB);
          i++;
        }
        t.literals.push("");
        continue;
      }
      if (c == 0x2f) {
        if (sanitized.charCodeAt(i + 1) == 0x2f) return null; // double slash
        t.kinds.push(SEGMENT_LITERAL);
        t.literals.push("/");
        i++;
        continue;
      }
      const start = i;
      while (i < n && isTemplateLiteralChar(sanitized.charCodeAt(i))) i++;
      if (i == start) return null; // '{', '}', '*' out of place, spaces, ...
      const next = sanitized.charCodeAt(i);
      if (next == 0x2a) return null; // Envoy: a literal ends only at '/' or the end, never at an operator
      t.kinds.push(SEGMENT_LITERAL);
      t.literals.push(sanitized.substring(start, i));
    }
    return t;
  }

  /** Full match of a path (pass it without query string). */
  matches(path: string): bool {
    templateBudget = TEMPLATE_MATCH_BUDGET; // no allocation per match: one budget, reset per call
    return this.matchFrom(0, path, 0);
  }

  private matchFrom(segment: i32, path: string, at: i32): bool {
    if (--templateBudget < 0) return false;
    if (segment >= this.kinds.length) return at == path.length;
    const kind = unchecked(this.kinds[segment]);
    if (kind == SEGMENT_LITERAL) {
      const literal = unchecked(this.literals[segment]);
      if (path.length - at < literal.length) return false;
      for (let k = 0; k < literal.length; k++) if (path.charCodeAt(at + k) != literal.charCodeAt(k)) return false;
      return this.matchFrom(segment + 1, path, at + literal.length);
    }
    // Longest run this glob could consume; the scan is paid from the budget too, so one match costs at most
    // TEMPLATE_MATCH_BUDGET steps whatever the path's length.
    let end = at;
    while (end < path.length) {
      const c = path.charCodeAt(end);
      if (!(isTemplateLiteralChar(c) || (kind == SEGMENT_TEXT_GLOB && c == 0x2f))) break;
      end++;
    }
    templateBudget -= end - at;
    if (templateBudget < 0) return false;
    const minimum = kind == SEGMENT_PATH_GLOB ? 1 : 0;
    for (let stop = end; stop >= at + minimum; stop--) {
      if (this.matchFrom(segment + 1, path, stop)) return true;
      if (templateBudget < 0) return false;
    }
    return false;
  }
}
