// Test entry for lib/spiffe.ts and lib/istio-match.ts.
import "../../../sdk/runtime/abort";
import { parseSpiffeId, parsePrincipal, principalOf, formatSpiffeId } from "../../../lib/spiffe";
import {
  compileIstioString, istioStringMatches, principalMatches, namespaceMatches, serviceAccountMatches, headerMatches,
  hostMatches, pathMatches, PathTemplate, globMatches, stripQueryAndFragment,
} from "../../../lib/istio-match";

export function spiffe(s: string): string {
  const id = parseSpiffeId(s);
  return id === null ? "!null" : id.trustDomain + "|" + id.namespace + "|" + id.serviceAccount + "|" + id.toString() + "|" + id.principal();
}

export function principal(s: string): string {
  const id = parsePrincipal(s);
  return id === null ? "!null" : id.toString();
}

export function stripScheme(s: string): string {
  const p = principalOf(s);
  return p === null ? "!null" : p;
}

export function format(td: string, ns: string, sa: string): string {
  return formatSpiffeId(td, ns, sa);
}

export function compile(pattern: string): string {
  const m = compileIstioString(pattern);
  return m.kind.toString() + "|" + m.value + "|" + m.toString();
}

export function str(pattern: string, value: string): i32 {
  return istioStringMatches(pattern, value) ? 1 : 0;
}

/** `hasPeer` false passes a null peer (no mTLS). */
export function principalMatch(pattern: string, peer: string, hasPeer: bool, ztunnel: bool): i32 {
  return principalMatches(pattern, hasPeer ? peer : null, ztunnel) ? 1 : 0;
}

export function namespaceMatch(pattern: string, peer: string, ztunnel: bool): i32 {
  return namespaceMatches(pattern, peer, ztunnel) ? 1 : 0;
}

export function serviceAccountMatch(value: string, policyNamespace: string, peer: string, ztunnel: bool): i32 {
  return serviceAccountMatches(value, policyNamespace, peer, ztunnel) ? 1 : 0;
}

export function headerMatch(pattern: string, value: string, present: bool): i32 {
  return headerMatches(pattern, present ? value : null) ? 1 : 0;
}

export function hostMatch(pattern: string, host: string): i32 {
  return hostMatches(pattern, host) ? 1 : 0;
}

export function pathMatch(pattern: string, path: string): i32 {
  return pathMatches(pattern, path) ? 1 : 0;
}

export function templateValid(pattern: string): i32 {
  return PathTemplate.compile(pattern) !== null ? 1 : 0;
}

export function glob(pattern: string, text: string): i32 {
  return globMatches(pattern, text) ? 1 : 0;
}

export function stripQuery(path: string): string {
  return stripQueryAndFragment(path);
}
