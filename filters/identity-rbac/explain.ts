// Why a decision came out as it did, for `ambient-wasm authz check` (cli/authz/check.ts). Only at Envoy's trace
// level: one log line per rule of every policy that applies to the workload, saying whether the rule matched and,
// when not, the first clause that failed (`from[0].source.principals`, `to[1].operation.methods`, `when[2]`).
// The clauses are decided by the same matcher functions the decision uses, applied to a copy of the source or
// operation that keeps one field, so the explanation cannot drift from the enforcement.
//
//   identity-rbac: explain workload=foo/* policy=foo/allow-get action=ALLOW dry_run=false rule=0 result=failed clause=to[0].operation.methods
//   identity-rbac: explain workload=foo/* policy=foo/deny-all action=DENY dry_run=false rule=- result=no-rules
import { log } from "../../sdk";
import { Attributes } from "./attributes";
import { conditionMatches, operationMatches, sourceMatches } from "./matcher";
import { OperationMatch, Policy, Rule, SourceMatch, actionName } from "./policy";

const PREFIX = "identity-rbac: explain workload=";

/** Logs one trace line per rule of each policy; the caller checks `log.enabled(LogLevel.Trace)` first. */
export function explainPolicies(policies: Array<Policy>, attrs: Attributes, workload: string): void {
  for (let i = 0; i < policies.length; i++) {
    const p = unchecked(policies[i]);
    const head = PREFIX + workload + " policy=" + p.namespace + "/" + p.name + " action=" + actionName(p.action) +
      " dry_run=" + (p.dryRun ? "true" : "false");
    if (p.rules.length == 0) {
      log.trace(head + " rule=- result=no-rules");
      continue;
    }
    for (let r = 0; r < p.rules.length; r++) {
      const rule = unchecked(p.rules[r]);
      const clause = firstFailedClause(rule, attrs);
      const index = rule.index.toString();
      if (clause === null) log.trace(head + " rule=" + index + " result=matched");
      else log.trace(head + " rule=" + index + " result=failed clause=" + clause);
    }
  }
}

/** null when the rule matches; else the path of the first clause that did not. */
export function firstFailedClause(rule: Rule, attrs: Attributes): string | null {
  const from = rule.sources;
  if (from.length > 0) {
    let hit = false;
    for (let i = 0; i < from.length && !hit; i++) hit = sourceMatches(unchecked(from[i]), attrs);
    if (!hit) return "from[0].source" + failedSourceField(unchecked(from[0]), attrs);
  }
  const to = rule.operations;
  if (to.length > 0) {
    let hit = false;
    for (let i = 0; i < to.length && !hit; i++) hit = operationMatches(unchecked(to[i]), attrs);
    if (!hit) return "to[0].operation" + failedOperationField(unchecked(to[0]), attrs);
  }
  const when = rule.conditions;
  for (let i = 0; i < when.length; i++) {
    const c = unchecked(when[i]);
    if (!conditionMatches(c, attrs)) return "when[" + i.toString() + "]" + (c.neverMatches ? ".(dropped)" : "");
  }
  return null;
}

/** `.principals`, `.notIpBlocks`, ... for the first field of `s` that fails on its own; `.(dropped)` when lowering emptied it. */
function failedSourceField(s: SourceMatch, attrs: Attributes): string {
  if (s.neverMatches) return ".(dropped)";
  const ns = s.policyNamespace;
  let one = new SourceMatch(ns);
  one.principals = s.principals;
  if (!sourceMatches(one, attrs)) return ".principals";
  one = new SourceMatch(ns);
  one.notPrincipals = s.notPrincipals;
  if (!sourceMatches(one, attrs)) return ".notPrincipals";
  one = new SourceMatch(ns);
  one.namespaces = s.namespaces;
  if (!sourceMatches(one, attrs)) return ".namespaces";
  one = new SourceMatch(ns);
  one.notNamespaces = s.notNamespaces;
  if (!sourceMatches(one, attrs)) return ".notNamespaces";
  one = new SourceMatch(ns);
  one.serviceAccounts = s.serviceAccounts;
  if (!sourceMatches(one, attrs)) return ".serviceAccounts";
  one = new SourceMatch(ns);
  one.notServiceAccounts = s.notServiceAccounts;
  if (!sourceMatches(one, attrs)) return ".notServiceAccounts";
  one = new SourceMatch(ns);
  one.ipBlocks = s.ipBlocks;
  if (!sourceMatches(one, attrs)) return ".ipBlocks";
  one = new SourceMatch(ns);
  one.notIpBlocks = s.notIpBlocks;
  if (!sourceMatches(one, attrs)) return ".notIpBlocks";
  one = new SourceMatch(ns);
  one.remoteIpBlocks = s.remoteIpBlocks;
  if (!sourceMatches(one, attrs)) return ".remoteIpBlocks";
  one = new SourceMatch(ns);
  one.notRemoteIpBlocks = s.notRemoteIpBlocks;
  if (!sourceMatches(one, attrs)) return ".notRemoteIpBlocks";
  if (s.requestPrincipals > 0) return ".requestPrincipals";
  return "";
}

function failedOperationField(o: OperationMatch, attrs: Attributes): string {
  if (o.neverMatches) return ".(dropped)";
  let one = new OperationMatch();
  one.ports = o.ports;
  if (!operationMatches(one, attrs)) return ".ports";
  one = new OperationMatch();
  one.notPorts = o.notPorts;
  if (!operationMatches(one, attrs)) return ".notPorts";
  one = new OperationMatch();
  one.methods = o.methods;
  if (!operationMatches(one, attrs)) return ".methods";
  one = new OperationMatch();
  one.notMethods = o.notMethods;
  if (!operationMatches(one, attrs)) return ".notMethods";
  one = new OperationMatch();
  one.hosts = o.hosts;
  if (!operationMatches(one, attrs)) return ".hosts";
  one = new OperationMatch();
  one.notHosts = o.notHosts;
  if (!operationMatches(one, attrs)) return ".notHosts";
  one = new OperationMatch();
  one.paths = o.paths;
  if (!operationMatches(one, attrs)) return ".paths";
  one = new OperationMatch();
  one.notPaths = o.notPaths;
  if (!operationMatches(one, attrs)) return ".notPaths";
  return "";
}
