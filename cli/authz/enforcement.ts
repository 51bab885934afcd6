// What a policy means at each enforcement point, as diagnostics for `authz convert --mode`.
//
// identity-rbac-l4 and identity-rbac-connect enforce what istiod sends ztunnel; istiod rewrites each policy for it
// and says so on the policy's status (the ZtunnelAccepted condition; istio/istio:
// pilot/pkg/serviceregistry/ambient/authorization.go, convertAuthorizationPolicy and handleRule):
//   - HTTP attributes: operation hosts/methods/paths (and not-forms), source remoteIpBlocks/requestPrincipals
//     (and not-forms), and `when` keys other than source.ip, source.namespace, source.principal,
//     destination.ip, destination.port;
//   - ALLOW: a rule with any HTTP attribute is left out (the policy still applies: it allows less);
//   - DENY: HTTP attributes are removed and the rest still denies (it denies more), unless nothing enforceable is
//     left, in which case the rule (or the whole policy) never fires;
//   - CUSTOM and AUDIT actions are not sent to ztunnel; policies attached with targetRef(s) are for waypoints.
// identity-rbac-l7 sees everything except CUSTOM (external authorization), which it does not implement.
// The filter does the same lowering (filters/identity-rbac/ztunnel-lowering.ts); this module only words it.
import type { PathSegment } from "./schema.ts";

export type Mode = "l4" | "l7" | "connect";
export const MODES: readonly Mode[] = ["l4", "l7", "connect"];
export const ROOT_IDS: Record<Mode, string> = { l4: "identity-rbac-l4", l7: "identity-rbac-l7", connect: "identity-rbac-connect" };

export interface Finding {
  severity: "warning" | "note";
  /** Path inside the policy object (`["spec", "rules", 0]`). */
  path: PathSegment[];
  message: string;
}

export interface PolicyTreatment {
  /** Left out of the configuration (CUSTOM at a ztunnel node, or at L7 with --skip-unsupported). */
  skip: boolean;
  /** CUSTOM at L7 without --skip-unsupported. */
  error?: { path: PathSegment[]; message: string };
  findings: Finding[];
}

const L4_WHEN_KEYS = new Set(["source.ip", "source.namespace", "source.principal", "destination.ip", "destination.port"]);
const HTTP_OPERATION_FIELDS = ["hosts", "notHosts", "methods", "notMethods", "paths", "notPaths"];
const HTTP_SOURCE_FIELDS = ["remoteIpBlocks", "notRemoteIpBlocks", "requestPrincipals", "notRequestPrincipals"];
const L4_SOURCE_FIELDS = [
  "principals", "notPrincipals", "namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts", "ipBlocks", "notIpBlocks",
];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const nonEmpty = (o: Obj, field: string) => Array.isArray(o[field]) && (o[field] as unknown[]).length > 0;

/** The HTTP attributes a rule uses, in the order written (field names, or the `when` key). */
export function httpAttributes(rule: Obj): string[] {
  const found: string[] = [];
  const add = (name: string) => void (found.includes(name) || found.push(name));
  for (const from of list(rule.from)) {
    const source = isObj(from) && isObj(from.source) ? from.source : {};
    for (const f of HTTP_SOURCE_FIELDS) if (nonEmpty(source, f)) add(f);
  }
  for (const to of list(rule.to)) {
    const operation = isObj(to) && isObj(to.operation) ? to.operation : {};
    for (const f of HTTP_OPERATION_FIELDS) if (nonEmpty(operation, f)) add(f);
  }
  for (const when of list(rule.when)) {
    if (isObj(when) && typeof when.key === "string" && !L4_WHEN_KEYS.has(when.key)) add(when.key);
  }
  return found;
}

/**
 * Whether a DENY rule can still fire once its HTTP attributes are removed: every part it has keeps something
 * ztunnel can match (a source with an L4 field, an operation with ports, only L4 `when` keys). ztunnel skips empty
 * matches, so a part left empty matches nothing.
 */
export function denyRuleStillFires(rule: Obj): boolean {
  const from = list(rule.from);
  if (from.length > 0 && !from.some((f) => isObj(f) && isObj(f.source) && L4_SOURCE_FIELDS.some((k) => nonEmpty(f.source as Obj, k)))) return false;
  const to = list(rule.to);
  if (to.length > 0 && !to.some((t) => isObj(t) && isObj(t.operation) && (nonEmpty(t.operation, "ports") || nonEmpty(t.operation, "notPorts")))) return false;
  return list(rule.when).every((w) => isObj(w) && typeof w.key === "string" && L4_WHEN_KEYS.has(w.key));
}

const WAYPOINT_ADVICE = "HTTP rules are enforced by a waypoint (identity-rbac-l7)";

/** How `mode` treats one policy (`name` is `namespace/name`, `spec` as written). */
export function treatPolicy(name: string, spec: Obj, mode: Mode, skipUnsupported: boolean): PolicyTreatment {
  const action = typeof spec.action === "string" ? spec.action : "ALLOW";
  const findings: Finding[] = [];
  const ztunnel = mode !== "l7";
  if (action === "CUSTOM") {
    if (ztunnel) {
      return {
        skip: true,
        findings: [{ severity: "warning", path: ["spec", "action"], message: `policy ${name} skipped: ztunnel does not support the CUSTOM action (istiod leaves it out of what it sends a ztunnel node); external authorization needs a waypoint` }],
      };
    }
    if (!skipUnsupported) {
      return { skip: true, findings, error: { path: ["spec", "action"], message: "action CUSTOM (external authorization) is not supported by identity-rbac; pass --skip-unsupported to leave the policy out" } };
    }
    return {
      skip: true,
      findings: [{ severity: "warning", path: ["spec", "action"], message: `policy ${name} skipped (--skip-unsupported): identity-rbac does not implement the CUSTOM action, so no request is sent to its external authorizer` }],
    };
  }
  if (!ztunnel) return { skip: false, findings };
  if (spec.targetRef !== undefined || spec.targetRefs !== undefined) {
    findings.push({ severity: "note", path: ["spec"], message: `policy ${name} is attached to a waypoint (targetRef): mode ${mode} ignores it, as ztunnel does` });
    return { skip: false, findings };
  }
  if (action === "AUDIT") {
    findings.push({ severity: "note", path: ["spec", "action"], message: `policy ${name}: ztunnel does not receive AUDIT policies; identity-rbac in mode ${mode} still logs their matches, without HTTP attributes` });
    return { skip: false, findings };
  }
  const rules = list(spec.rules);
  let firingDenyRules = 0;
  let httpRules = 0;
  rules.forEach((rule, i) => {
    if (!isObj(rule)) return;
    const http = httpAttributes(rule);
    if (action === "DENY" && denyRuleStillFires(rule)) firingDenyRules++;
    if (http.length === 0) return;
    httpRules++;
    const found = `ztunnel does not support HTTP attributes (found: ${http.join(", ")})`;
    let consequence: string;
    if (action === "ALLOW") {
      consequence = `in mode ${mode} this ALLOW rule is left out, so the policy allows less than written (more restrictive than requested)`;
    } else if (denyRuleStillFires(rule)) {
      consequence = `in mode ${mode} this DENY rule is enforced without them, so it denies more than written (more restrictive than requested)`;
    } else {
      consequence = `in mode ${mode} nothing enforceable is left of this DENY rule, so it never denies`;
    }
    findings.push({ severity: "warning", path: ["spec", "rules", i], message: `policy ${name} rule ${i}: ${found}; ${consequence}. ${WAYPOINT_ADVICE}` });
  });
  if (httpRules > 0 && action === "ALLOW" && httpRules === rules.length) {
    findings.push({ severity: "warning", path: ["spec", "rules"], message: `policy ${name}: no rule is left in mode ${mode}; the policy still applies, so the workload denies every connection no other ALLOW policy allows` });
  }
  if (httpRules > 0 && action === "DENY" && firingDenyRules === 0) {
    findings.push({ severity: "warning", path: ["spec", "rules"], message: `policy ${name}: after leaving out the HTTP attributes no rule can fire in mode ${mode}; this DENY policy has no effect there. Enforce it at a waypoint (targetRef, identity-rbac-l7)` });
  }
  return { skip: false, findings };
}
