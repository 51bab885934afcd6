// Does a rule match? Rule = (any `from` source) AND (any `to` operation) AND (every `when` condition);
// inside a source/operation every set field must match; a field matches when any value matches, a `not*`
// field when no value does (ztunnel rbac.rs matches_internal; Envoy RBAC and/or/not as Istio generates it).
import { Cidr } from "../../lib/cidr";
import { IpAddress } from "../../lib/address";
import { IstioStringMatch, StringMatchKind, globMatches, serviceAccountMatches, serviceAccountMatchesId } from "../../lib/istio-match";
import { Attributes, HeaderValue } from "./attributes";

const REPLACEMENT_CHARACTER = "\uFFFD";
import { Condition, ConditionKey, NamespaceMatch, OperationMatch, PathMatch, Rule, SourceMatch } from "./policy";

function anyString(matches: Array<IstioStringMatch>, value: string): bool {
  for (let i = 0; i < matches.length; i++) if (unchecked(matches[i]).matches(value)) return true;
  return false;
}

/** Positive list: unset or any match. Negative list: unset or no match. */
function stringField(values: Array<IstioStringMatch>, notValues: Array<IstioStringMatch>, value: string): bool {
  if (values.length > 0 && !anyString(values, value)) return false;
  if (notValues.length > 0 && anyString(notValues, value)) return false;
  return true;
}

/**
 * A principal value against the peer (lib/istio-match principalMatches, on a precompiled value). Istio prepends
 * `spiffe://` to the value, so only SPIFFE peers can match — except "*", which Envoy turns into `.+` (any
 * authenticated peer) while ztunnel still requires the `spiffe://` form.
 */
function principalMatch(m: IstioStringMatch, attrs: Attributes): bool {
  const uri = attrs.peerUri;
  if (uri === null) return false;
  const principal = attrs.principal;
  if (m.kind == StringMatchKind.Presence) return attrs.ztunnel ? principal.length > 0 : true;
  return principal.length > 0 && m.matches(principal);
}

function anyPrincipal(values: Array<IstioStringMatch>, attrs: Attributes): bool {
  for (let i = 0; i < values.length; i++) if (principalMatch(unchecked(values[i]), attrs)) return true;
  return false;
}

function principalField(values: Array<IstioStringMatch>, notValues: Array<IstioStringMatch>, attrs: Attributes): bool {
  if (values.length > 0 && !anyPrincipal(values, attrs)) return false;
  if (notValues.length > 0 && anyPrincipal(notValues, attrs)) return false;
  return true;
}

/**
 * ztunnel compares the namespace of a valid SPIFFE id; Envoy runs Istio's regex (any, "/ns/<v>/", any) over the
 * whole URI SAN (lib/istio-match namespaceMatches, with the glob built at configure).
 */
function namespaceMatch(m: NamespaceMatch, attrs: Attributes): bool {
  const uri = attrs.peerUri;
  if (uri === null) return false;
  if (attrs.ztunnel) {
    const id = attrs.spiffe;
    return id !== null && m.match.matches(id.namespace);
  }
  return uri.indexOf("\n") < 0 && globMatches(m.envoyGlob, uri); // RE2 '.' never matches a newline
}

function anyNamespace(values: Array<NamespaceMatch>, attrs: Attributes): bool {
  for (let i = 0; i < values.length; i++) if (namespaceMatch(unchecked(values[i]), attrs)) return true;
  return false;
}

function namespaceField(values: Array<NamespaceMatch>, notValues: Array<NamespaceMatch>, attrs: Attributes): bool {
  if (values.length > 0 && !anyNamespace(values, attrs)) return false;
  if (notValues.length > 0 && anyNamespace(notValues, attrs)) return false;
  return true;
}

function anyServiceAccount(values: Array<string>, policyNamespace: string, attrs: Attributes): bool {
  const uri = attrs.peerUri;
  if (uri === null) return false;
  if (attrs.ztunnel) {
    const id = attrs.spiffe; // parsed once per request
    if (id === null) return false;
    for (let i = 0; i < values.length; i++) {
      if (serviceAccountMatchesId(unchecked(values[i]), policyNamespace, id)) return true;
    }
    return false;
  }
  for (let i = 0; i < values.length; i++) {
    if (serviceAccountMatches(unchecked(values[i]), policyNamespace, uri, false)) return true;
  }
  return false;
}

function anyCidr(cidrs: Array<Cidr>, ip: IpAddress | null): bool {
  if (ip === null) return false;
  for (let i = 0; i < cidrs.length; i++) if (unchecked(cidrs[i]).contains(ip)) return true;
  return false;
}

function cidrField(values: Array<Cidr>, notValues: Array<Cidr>, ip: IpAddress | null): bool {
  if (values.length > 0 && !anyCidr(values, ip)) return false;
  if (notValues.length > 0 && anyCidr(notValues, ip)) return false;
  return true;
}

function portField(values: Array<i32>, notValues: Array<i32>, port: i32): bool {
  if (values.length > 0 && !values.includes(port)) return false;
  if (notValues.length > 0 && notValues.includes(port)) return false;
  return true;
}

function pathMatch(m: PathMatch, path: string, valid: bool): bool {
  const exact = m.match;
  if (!valid && exact !== null && exact.value.indexOf(REPLACEMENT_CHARACTER) >= 0) return false; // as headers
  return m.matches(path);
}

function pathField(values: Array<PathMatch>, notValues: Array<PathMatch>, path: string, valid: bool): bool {
  if (values.length > 0) {
    let hit = false;
    for (let i = 0; i < values.length && !hit; i++) hit = pathMatch(unchecked(values[i]), path, valid);
    if (!hit) return false;
  }
  for (let i = 0; i < notValues.length; i++) if (pathMatch(unchecked(notValues[i]), path, valid)) return false;
  return true;
}

/**
 * Header values (lib/istio-match headerMatches): "*" only needs the header present (Envoy present_match).
 * Envoy compares bytes. The SDK decodes every invalid UTF-8 byte as U+FFFD (sdk/pairs.ts), so on the decoded
 * text an exact, prefix or suffix match agrees with Envoy's byte comparison — except for a policy value that itself
 * contains U+FFFD, which no invalid byte equals. So `c1 a1 64 6d 69 6e` is not "admin", while `x<c1>.internal`
 * still ends with ".internal" for a DENY.
 */
function headerValueMatch(m: IstioStringMatch, value: HeaderValue): bool {
  if (!value.present) return false;
  if (m.kind == StringMatchKind.Presence) return true;
  return valueMatch(m, value);
}

function valueMatch(m: IstioStringMatch, value: HeaderValue): bool {
  if (!value.valid && m.value.indexOf(REPLACEMENT_CHARACTER) >= 0) return false;
  return m.matches(value.text);
}

function headerField(values: Array<IstioStringMatch>, notValues: Array<IstioStringMatch>, value: HeaderValue): bool {
  if (values.length > 0) {
    let hit = false;
    for (let i = 0; i < values.length && !hit; i++) hit = headerValueMatch(unchecked(values[i]), value);
    if (!hit) return false;
  }
  for (let i = 0; i < notValues.length; i++) if (headerValueMatch(unchecked(notValues[i]), value)) return false;
  return true;
}

export function sourceMatches(s: SourceMatch, attrs: Attributes): bool {
  if (s.neverMatches) return false;
  if (s.principals.length > 0 || s.notPrincipals.length > 0) {
    if (!principalField(s.principals, s.notPrincipals, attrs)) return false;
  }
  if (s.namespaces.length > 0 || s.notNamespaces.length > 0) {
    if (!namespaceField(s.namespaces, s.notNamespaces, attrs)) return false;
  }
  if (s.serviceAccounts.length > 0 && !anyServiceAccount(s.serviceAccounts, s.policyNamespace, attrs)) return false;
  if (s.notServiceAccounts.length > 0 && anyServiceAccount(s.notServiceAccounts, s.policyNamespace, attrs)) return false;
  if (s.ipBlocks.length > 0 || s.notIpBlocks.length > 0) {
    if (!cidrField(s.ipBlocks, s.notIpBlocks, attrs.sourceIp)) return false;
  }
  // Envoy's remote_ip is the downstream remote address after the HCM's XFF handling, which is what
  // `source.address` reports to an HTTP filter (see README for the use_remote_address requirement).
  if (s.remoteIpBlocks.length > 0 || s.notRemoteIpBlocks.length > 0) {
    if (!cidrField(s.remoteIpBlocks, s.notRemoteIpBlocks, attrs.sourceIp)) return false;
  }
  // No request is JWT-authenticated here: requestPrincipals never match, notRequestPrincipals always do.
  if (s.requestPrincipals > 0) return false;
  return true;
}

export function operationMatches(o: OperationMatch, attrs: Attributes): bool {
  if (o.neverMatches) return false;
  if (o.ports.length > 0 || o.notPorts.length > 0) {
    if (!portField(o.ports, o.notPorts, attrs.destinationPort)) return false;
  }
  if (o.methods.length > 0 || o.notMethods.length > 0) {
    if (!headerField(o.methods, o.notMethods, attrs.headerValue(":method"))) return false;
  }
  if (o.hosts.length > 0 || o.notHosts.length > 0) {
    if (!headerField(o.hosts, o.notHosts, attrs.lowerHost())) return false;
  }
  if (o.paths.length > 0 || o.notPaths.length > 0) {
    const raw = attrs.headerValue(":path");
    if (!raw.present) return o.paths.length == 0; // Envoy's path matcher needs a path
    if (!pathField(o.paths, o.notPaths, attrs.path(), raw.valid)) return false;
  }
  return true;
}

export function conditionMatches(c: Condition, attrs: Attributes): bool {
  if (c.neverMatches) return false;
  switch (c.key) {
    case ConditionKey.SourceIp:
    case ConditionKey.RemoteIp:
      return cidrField(c.cidrs, c.notCidrs, attrs.sourceIp);
    case ConditionKey.DestinationIp:
      return cidrField(c.cidrs, c.notCidrs, attrs.destinationIp);
    case ConditionKey.DestinationPort:
      return portField(c.ports, c.notPorts, attrs.destinationPort);
    case ConditionKey.SourcePrincipal:
      return principalField(c.patterns, c.notPatterns, attrs);
    case ConditionKey.SourceNamespace:
      return namespaceField(c.namespaces, c.notNamespaces, attrs);
    case ConditionKey.RequestHeader:
      return headerField(c.patterns, c.notPatterns, attrs.headerValue(c.header));
    case ConditionKey.ConnectionSni:
      return stringField(c.patterns, c.notPatterns, attrs.sni);
    default:
      // JWT attributes are never present: values never match, notValues always do.
      return c.valueCount == 0;
  }
}

export function ruleMatches(rule: Rule, attrs: Attributes): bool {
  const from = rule.sources;
  if (from.length > 0) {
    let hit = false;
    for (let i = 0; i < from.length && !hit; i++) hit = sourceMatches(unchecked(from[i]), attrs);
    if (!hit) return false;
  }
  const to = rule.operations;
  if (to.length > 0) {
    let hit = false;
    for (let i = 0; i < to.length && !hit; i++) hit = operationMatches(unchecked(to[i]), attrs);
    if (!hit) return false;
  }
  const when = rule.conditions;
  for (let i = 0; i < when.length; i++) if (!conditionMatches(unchecked(when[i]), attrs)) return false;
  return true;
}
