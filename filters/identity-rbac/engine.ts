// Istio's evaluation order for one workload: any matching DENY denies; otherwise, with no ALLOW policy the
// request is allowed; with ALLOW policies it is allowed only when one matches (AuthorizationPolicy API docs;
// ztunnel src/rbac.rs / state.rs assert_rbac). AUDIT never changes the decision.
import { Attributes } from "./attributes";
import { ruleMatches } from "./matcher";
import { Rule } from "./policy";
import { PolicySet } from "./protected-workload";

export const NO_POLICY = "none";

export class Decision {
  constructor(
    public allowed: bool,
    /** The rule that decided (`ns[..]-policy[..]-rule[..]`), or "none" for the defaults. */
    public policy: string,
  ) {}
}

function firstMatch(rules: Array<Rule>, attrs: Attributes): Rule | null {
  for (let i = 0; i < rules.length; i++) {
    const r = unchecked(rules[i]);
    if (ruleMatches(r, attrs)) return r;
  }
  return null;
}

export function decide(set: PolicySet, attrs: Attributes): Decision {
  const deny = firstMatch(set.deny, attrs);
  if (deny !== null) return new Decision(false, deny.id);
  if (!set.hasAllow) return new Decision(true, NO_POLICY);
  const allow = firstMatch(set.allow, attrs);
  if (allow !== null) return new Decision(true, allow.id);
  return new Decision(false, NO_POLICY);
}

/**
 * The decision the `istio.io/dry-run` policies would produce if they were enforced together with the enforced
 * ones; null when it would not differ from `enforced` in allowing. Only called when dry-run policies apply.
 */
export function dryRunDenial(set: PolicySet, attrs: Attributes, enforced: Decision): Decision | null {
  if (!enforced.allowed) return null;
  const deny = firstMatch(set.dryRunDeny, attrs);
  if (deny !== null) return new Decision(false, deny.id);
  if (!set.hasDryRunAllow) return null;
  // A dry-run ALLOW policy would make the workload default-deny.
  if (enforced.policy != NO_POLICY) return null; // an enforced ALLOW rule already allowed it
  const allow = firstMatch(set.dryRunAllow, attrs);
  return allow !== null ? null : new Decision(false, NO_POLICY);
}

/** The first matching AUDIT rule's id, or null. */
export function auditMatch(set: PolicySet, attrs: Attributes): string | null {
  const r = firstMatch(set.audit, attrs);
  return r === null ? null : r.id;
}
