// What ztunnel enforces of a policy (istio pilot/pkg/serviceregistry/ambient/authorization.go handleRule, and
// ztunnel src/rbac.rs). ztunnel sees no HTTP, so istiod rewrites every rule before sending it:
//   ALLOW: a rule that uses any HTTP attribute (hosts, methods, paths, remoteIpBlocks, requestPrincipals,
//          when keys other than source.ip/namespace/principal and destination.ip/port, and their not-forms)
//          is dropped. An ALLOW policy left without rules still applies, so the workload is default-deny.
//   DENY:  the HTTP attributes are removed and the rest still denies. A source/operation/condition that had
//          only HTTP attributes becomes an empty match, which ztunnel skips: it matches nothing, so a rule
//          that depended on it never fires.
// AUDIT is not sent to ztunnel at all; here it is lowered like DENY so its log lines stay meaningful.
import { Action, Policy, Rule, isL4ConditionKey } from "./policy";

export function lowerForZtunnel(policy: Policy): void {
  if (policy.action == Action.Allow) {
    const kept = new Array<Rule>();
    for (let i = 0; i < policy.rules.length; i++) {
      const rule = unchecked(policy.rules[i]);
      if (!rule.hasHttpFields()) kept.push(rule);
    }
    policy.rules = kept;
    return;
  }
  for (let i = 0; i < policy.rules.length; i++) stripHttp(unchecked(policy.rules[i]));
}

function stripHttp(rule: Rule): void {
  for (let i = 0; i < rule.sources.length; i++) {
    const s = unchecked(rule.sources[i]);
    s.remoteIpBlocks = [];
    s.notRemoteIpBlocks = [];
    s.requestPrincipals = 0;
    s.notRequestPrincipals = 0;
    if (!s.hasL4Fields()) s.neverMatches = true;
  }
  for (let i = 0; i < rule.operations.length; i++) {
    const o = unchecked(rule.operations[i]);
    o.hosts = [];
    o.notHosts = [];
    o.methods = [];
    o.notMethods = [];
    o.paths = [];
    o.notPaths = [];
    if (o.ports.length == 0 && o.notPorts.length == 0) o.neverMatches = true;
  }
  for (let i = 0; i < rule.conditions.length; i++) {
    const c = unchecked(rule.conditions[i]);
    if (!isL4ConditionKey(c.key)) c.neverMatches = true;
  }
}
