// The workload(s) a filter instance protects, and which policies apply to each (computed once at configure).
import { IpAddress } from "../../lib/address";
import { Action, Policy, Rule } from "./policy";

/** The rules that apply to one workload, split by action, in configuration order. */
export class PolicySet {
  deny: Array<Rule> = [];
  allow: Array<Rule> = [];
  audit: Array<Rule> = [];
  /** Rules of `istio.io/dry-run` policies: evaluated only to report what they would change. */
  dryRunDeny: Array<Rule> = [];
  dryRunAllow: Array<Rule> = [];
  /** An ALLOW policy applies (even one without rules): the workload is default-deny. */
  hasAllow: bool = false;
  hasDryRunAllow: bool = false;
  /** Every policy that applies, in configuration order (for the trace-level explanation, explain.ts). */
  policies: Array<Policy> = [];

  get hasDryRun(): bool {
    return this.dryRunDeny.length > 0 || this.hasDryRunAllow;
  }

  add(policy: Policy): void {
    const rules = policy.rules;
    this.policies.push(policy);
    if (policy.action == Action.Audit) {
      appendAll(this.audit, rules);
    } else if (policy.dryRun) {
      if (policy.action == Action.Allow) {
        this.hasDryRunAllow = true;
        appendAll(this.dryRunAllow, rules);
      } else appendAll(this.dryRunDeny, rules);
    } else if (policy.action == Action.Allow) {
      this.hasAllow = true;
      appendAll(this.allow, rules);
    } else appendAll(this.deny, rules);
  }
}

function appendAll(into: Array<Rule>, rules: Array<Rule>): void {
  for (let i = 0; i < rules.length; i++) into.push(unchecked(rules[i]));
}

export class Workload {
  /** Empty = any destination (the catch-all workload). */
  addresses: Array<IpAddress> = [];
  policies: PolicySet = new PolicySet();

  constructor(public name: string, public namespace: string, public labels: Map<string, string>) {}

  hasAddress(ip: IpAddress): bool {
    for (let i = 0; i < this.addresses.length; i++) if (unchecked(this.addresses[i]).equals(ip)) return true;
    return false;
  }
}

/**
 * Istio's scoping: a policy in the workload's namespace or in the root namespace, whose selector (if any) has
 * every label equal on the workload. Policies attached with targetRef(s) are for waypoints: they apply in the
 * L7 filter (which stands for the waypoint it is configured into) and are ignored at L4, as ztunnel ignores them.
 */
export function policyApplies(policy: Policy, workload: Workload, rootNamespace: string, l7: bool): bool {
  if (policy.namespace != workload.namespace && policy.namespace != rootNamespace) return false;
  if (policy.targeted) return l7;
  const selector = policy.selector;
  if (selector === null) return true;
  const keys = selector.keys();
  for (let i = 0; i < keys.length; i++) {
    const k = unchecked(keys[i]);
    if (!workload.labels.has(k) || workload.labels.get(k) != selector.get(k)) return false;
  }
  return true;
}
