// AuthorizationPolicy `spec` (JSON, as Istio writes it) → Policy, with the checks Istio's admission webhook
// makes (istio pkg/config/validation ValidateAuthorizationPolicy, pkg/config/security): every problem is
// reported with its JSON path, and configure fails instead of enforcing something other than what was written.
import { ConfigArray, ConfigReader } from "../../lib/config-reader";
import { Cidr, parseCidr } from "../../lib/cidr";
import { parsePort } from "../../lib/address";
import { asciiLower } from "../../lib/strings";
import { IstioStringMatch, PathTemplate, compileIstioString, isPathTemplate } from "../../lib/istio-match";
import {
  Action, Condition, ConditionKey, NamespaceMatch, OperationMatch, PathMatch, Policy, Rule, SourceMatch, ruleId,
} from "./policy";

const ACTIONS: Array<string> = ["ALLOW", "DENY", "AUDIT", "CUSTOM"];
const MAX_SERVICE_ACCOUNTS: i32 = 16; // Istio CheckServiceAccount

export function parsePolicy(name: string, namespace: string, dryRun: bool, spec: ConfigReader): Policy {
  const actionText = spec.optionalEnum("action", ACTIONS, "ALLOW");
  let action = Action.Allow;
  if (actionText == "DENY") action = Action.Deny;
  else if (actionText == "AUDIT") action = Action.Audit;
  else if (actionText == "CUSTOM") {
    spec.fail("action", "CUSTOM (external authorization) is not supported; use ALLOW, DENY or AUDIT");
  }
  const policy = new Policy(name, namespace, action, dryRun);
  if (spec.value("provider") !== null && actionText != "CUSTOM") spec.fail("provider", "only valid with action CUSTOM");

  const selector = spec.optionalObject("selector");
  if (selector !== null) {
    const labels = selector.optionalStringMap("matchLabels");
    const keys = labels.keys();
    for (let i = 0; i < keys.length; i++) {
      const k = unchecked(keys[i]);
      const v = labels.get(k);
      if (k.length == 0) selector.fail("matchLabels", "empty label name");
      else if (k.includes("*") || v.includes("*")) selector.fail("matchLabels", "wildcard is not supported in selector: \"" + k + "=" + v + "\"");
    }
    selector.finish();
    policy.selector = labels;
  }
  const targetRef = spec.optionalObject("targetRef");
  if (targetRef !== null) readTargetRef(targetRef);
  const targetRefs = spec.optionalArray("targetRefs");
  for (let i = 0; i < targetRefs.length; i++) readTargetRef(targetRefs.object(i));
  policy.targeted = targetRef !== null || targetRefs.length > 0;
  if (policy.targeted && selector !== null) spec.failHere("only one of targetRefs or selector can be set");

  const rules = spec.optionalArray("rules");
  if (action == Action.Deny && rules.length == 0) {
    spec.failHere("DENY action without `rules` never matches; add `rules: [{}]` to deny everything");
  }
  for (let i = 0; i < rules.length; i++) {
    policy.rules.push(parseRule(rules.object(i), i, ruleId(namespace, name, i), namespace));
  }
  spec.finish();
  return policy;
}

function readTargetRef(ref: ConfigReader): void {
  ref.optionalString("group");
  ref.requiredString("kind");
  ref.requiredString("name");
  ref.optionalString("namespace");
  ref.finish();
}

function parseRule(r: ConfigReader, index: i32, id: string, policyNamespace: string): Rule {
  const rule = new Rule(index, id);
  if (r.has("from")) {
    const from = r.optionalArray("from");
    if (from.length == 0) r.fail("from", "must not be empty (omit it to match any source)");
    for (let i = 0; i < from.length; i++) {
      const entry = from.object(i);
      const source = entry.optionalObject("source");
      if (source === null) entry.fail("source", "must be set");
      else rule.sources.push(parseSource(source, policyNamespace));
      entry.finish();
    }
  } else r.allow("from");
  if (r.has("to")) {
    const to = r.optionalArray("to");
    if (to.length == 0) r.fail("to", "must not be empty (omit it to match any operation)");
    for (let i = 0; i < to.length; i++) {
      const entry = to.object(i);
      const operation = entry.optionalObject("operation");
      if (operation === null) entry.fail("operation", "must be set");
      else rule.operations.push(parseOperation(operation));
      entry.finish();
    }
  } else r.allow("to");
  const when = r.optionalArray("when");
  for (let i = 0; i < when.length; i++) rule.conditions.push(parseCondition(when.object(i)));
  r.finish();
  return rule;
}

function patterns(values: Array<string>, lowerCase: bool = false): Array<IstioStringMatch> {
  const out = new Array<IstioStringMatch>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = unchecked(values[i]);
    unchecked((out[i] = compileIstioString(lowerCase ? asciiLower(v) : v)));
  }
  return out;
}

function namespaceMatches(values: Array<string>): Array<NamespaceMatch> {
  const out = new Array<NamespaceMatch>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = unchecked(values[i]);
    // Istio's Envoy regex `.*/ns/<v with * → .*>/.*` (generator.go srcNamespaceGenerator) as a glob.
    unchecked((out[i] = new NamespaceMatch(compileIstioString(v), "*/ns/" + v + "/*")));
  }
  return out;
}

function cidrs(obj: ConfigReader, key: string): Array<Cidr> {
  const arr = obj.optionalArray(key);
  return cidrList(arr, arr.strings());
}

function cidrList(arr: ConfigArray, values: Array<string>): Array<Cidr> {
  const out = new Array<Cidr>();
  for (let i = 0; i < values.length; i++) {
    const v = unchecked(values[i]);
    if (v.length == 0) continue; // already reported as empty
    const c = parseCidr(v);
    if (c === null) arr.fail(i, (v.includes("/") ? "bad CIDR range \"" : "bad IP address \"") + v + "\"");
    else out.push(c);
  }
  return out;
}

function ports(arr: ConfigArray, values: Array<string>): Array<i32> {
  const out = new Array<i32>();
  for (let i = 0; i < values.length; i++) {
    const v = unchecked(values[i]);
    if (v.length == 0) continue;
    const p = parsePort(v);
    if (p < 0) arr.fail(i, "bad port \"" + v + "\" (expected 0..65535)");
    else out.push(p);
  }
  return out;
}

function serviceAccounts(obj: ConfigReader, key: string): Array<string> {
  const arr = obj.optionalArray(key);
  const values = arr.strings();
  const out = new Array<string>();
  if (values.length > MAX_SERVICE_ACCOUNTS) obj.fail(key, "may not have more than 16 values");
  for (let i = 0; i < values.length; i++) {
    const v = unchecked(values[i]);
    if (v.length == 0) continue;
    const slash = v.indexOf("/");
    if (v.includes("*")) arr.fail(i, "wildcard not allowed in serviceAccounts");
    else if (slash >= 0 && (v.indexOf("/", slash + 1) >= 0 || slash == 0 || slash == v.length - 1)) {
      arr.fail(i, "expected 'serviceAccount' or 'namespace/serviceAccount', got \"" + v + "\"");
    } else out.push(v);
  }
  return out;
}

function parseSource(s: ConfigReader, policyNamespace: string): SourceMatch {
  const m = new SourceMatch(policyNamespace);
  m.principals = patterns(s.optionalStringArray("principals"));
  m.notPrincipals = patterns(s.optionalStringArray("notPrincipals"));
  m.namespaces = namespaceMatches(s.optionalStringArray("namespaces"));
  m.notNamespaces = namespaceMatches(s.optionalStringArray("notNamespaces"));
  m.serviceAccounts = serviceAccounts(s, "serviceAccounts");
  m.notServiceAccounts = serviceAccounts(s, "notServiceAccounts");
  m.ipBlocks = cidrs(s, "ipBlocks");
  m.notIpBlocks = cidrs(s, "notIpBlocks");
  m.remoteIpBlocks = cidrs(s, "remoteIpBlocks");
  m.notRemoteIpBlocks = cidrs(s, "notRemoteIpBlocks");
  m.requestPrincipals = s.optionalStringArray("requestPrincipals").length;
  m.notRequestPrincipals = s.optionalStringArray("notRequestPrincipals").length;
  if (s.has("trustDomains") || s.has("notTrustDomains")) {
    s.fail(s.has("trustDomains") ? "trustDomains" : "notTrustDomains", "not supported (match the trust domain in principals)");
    s.allow("trustDomains").allow("notTrustDomains");
  }
  if ((m.principals.length + m.notPrincipals.length + m.namespaces.length + m.notNamespaces.length) > 0 &&
    (m.serviceAccounts.length + m.notServiceAccounts.length) > 0) {
    s.failHere("cannot set serviceAccounts with namespaces or principals");
  }
  s.finish();
  if (!m.hasL4Fields() && !m.hasHttpFields() && s.errors.ok) s.failHere("must not be empty");
  return m;
}

function pathMatches(op: ConfigReader, key: string): Array<PathMatch> {
  const arr = op.optionalArray(key);
  const values = arr.strings();
  const out = new Array<PathMatch>();
  for (let i = 0; i < values.length; i++) {
    const v = unchecked(values[i]);
    if (v.length == 0) continue;
    if (isPathTemplate(v)) {
      const template = PathTemplate.compile(v);
      if (template === null) {
        arr.fail(i, "invalid path template \"" + v + "\": must start with '/'; {*}, {**} whole segments, {**} last; " +
          "other segments RFC 3986 path characters");
      } else out.push(new PathMatch(null, template));
    } else if (v.includes("{") || v.includes("}")) {
      arr.fail(i, "invalid path \"" + v + "\": '{' or '}' outside a {*} or {**} template");
    } else {
      out.push(new PathMatch(compileIstioString(v), null));
    }
  }
  return out;
}

function parseOperation(o: ConfigReader): OperationMatch {
  const m = new OperationMatch();
  const portsArr = o.optionalArray("ports");
  m.ports = ports(portsArr, portsArr.strings());
  const notPortsArr = o.optionalArray("notPorts");
  m.notPorts = ports(notPortsArr, notPortsArr.strings());
  m.hosts = patterns(o.optionalStringArray("hosts"), true);
  m.notHosts = patterns(o.optionalStringArray("notHosts"), true);
  m.methods = patterns(o.optionalStringArray("methods"));
  m.notMethods = patterns(o.optionalStringArray("notMethods"));
  m.paths = pathMatches(o, "paths");
  m.notPaths = pathMatches(o, "notPaths");
  o.finish();
  const empty = m.ports.length + m.notPorts.length == 0 && !m.hasHttpFields();
  if (empty && o.errors.ok) o.failHere("must not be empty");
  return m;
}

/** `request.headers[x-user]` → "x-user"; "" when the key is not of the form `a[b]`. */
function bracketName(key: string, prefix: string): string {
  const open = prefix.length;
  if (key.length < open + 3 || key.charCodeAt(open) != 0x5b || key.charCodeAt(key.length - 1) != 0x5d) return "";
  return key.substring(open + 1, key.length - 1);
}

function parseCondition(c: ConfigReader): Condition {
  const key = c.requiredString("key");
  const valuesArr = c.optionalArray("values");
  const values = valuesArr.strings();
  const notValuesArr = c.optionalArray("notValues");
  const notValues = notValuesArr.strings();
  c.finish();
  let kind = ConditionKey.RequestAuth;
  let header = "";
  if (key == "source.ip") kind = ConditionKey.SourceIp;
  else if (key == "source.namespace") kind = ConditionKey.SourceNamespace;
  else if (key == "source.principal") kind = ConditionKey.SourcePrincipal;
  else if (key == "destination.ip") kind = ConditionKey.DestinationIp;
  else if (key == "destination.port") kind = ConditionKey.DestinationPort;
  else if (key == "remote.ip") kind = ConditionKey.RemoteIp;
  else if (key == "connection.sni") kind = ConditionKey.ConnectionSni;
  else if (key.startsWith("request.headers")) {
    kind = ConditionKey.RequestHeader;
    header = asciiLower(bracketName(key, "request.headers"));
    if (header.length == 0) c.fail("key", "bad key \"" + key + "\": expected request.headers[<name>]");
  } else if (key.startsWith("request.auth.claims")) {
    if (bracketName(key, "request.auth.claims").length == 0) c.fail("key", "bad key \"" + key + "\": expected request.auth.claims[<name>]");
  } else if (key == "request.auth.principal" || key == "request.auth.audiences" || key == "request.auth.presenter") {
    // JWT attributes: accepted, never present.
  } else if (key.length > 0) {
    c.fail("key", unsupportedKeyReason(key));
  }
  const cond = new Condition(kind, key);
  cond.header = header;
  cond.valueCount = values.length;
  cond.notValueCount = notValues.length;
  if (values.length == 0 && notValues.length == 0 && key.length > 0) c.failHere("at least one of `values` or `notValues` must be set for key " + key);
  if (kind == ConditionKey.SourceIp || kind == ConditionKey.RemoteIp || kind == ConditionKey.DestinationIp) {
    cond.cidrs = cidrList(valuesArr, values);
    cond.notCidrs = cidrList(notValuesArr, notValues);
  } else if (kind == ConditionKey.DestinationPort) {
    cond.ports = ports(valuesArr, values);
    cond.notPorts = ports(notValuesArr, notValues);
  } else if (kind == ConditionKey.SourceNamespace) {
    cond.namespaces = namespaceMatches(values);
    cond.notNamespaces = namespaceMatches(notValues);
  } else {
    cond.patterns = patterns(values);
    cond.notPatterns = patterns(notValues);
  }
  return cond;
}

function unsupportedKeyReason(key: string): string {
  if (key == "destination.namespace") return "destination.namespace is replaced by the policy's namespace";
  if (key.startsWith("destination.labels")) return "attribute " + key + " is replaced by the workload selector";
  if (key == "destination.name" || key == "destination.user") return "deprecated attribute " + key + ": only supported in v1alpha1";
  if (key.startsWith("experimental.envoy.filters.") || key.startsWith("request.experimental.") || key == "source.serviceAccount") {
    return "attribute " + key + " is not supported by identity-rbac";
  }
  return "unknown attribute \"" + key + "\"";
}
