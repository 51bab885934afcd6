// The plain-text form of an `authz check` explanation (the JSON form is the Explanation object itself).
import type { Explanation } from "./explanation.ts";

export function formatText(x: Explanation): string {
  const lines: string[] = [];
  lines.push(`${x.decision.toUpperCase()} (mode ${x.mode}, ${x.rootId}: ${x.effect})`);
  const r = x.request;
  lines.push(`request: from ${r.from} to ${r.workload} ${r.destination}${r.source ? ` source ${r.source}` : ""}` +
    (Array.isArray(r.headers) ? " " + (r.headers as [string, string][]).map(([k, val]) => `${k}=${val}`).join(" ") : ""));
  if ("default" in x.decidedBy) lines.push(`decided by: default ${x.decidedBy.default}`);
  else lines.push(`decided by: ${x.decidedBy.policy} rule ${x.decidedBy.rule} (${x.decidedBy.action}) at ${x.decidedBy.location}`);
  if (x.audit) lines.push(`audited by: ${x.audit}`);
  if (x.dryRunDenied) lines.push(`a dry-run policy would deny: ${x.dryRunDenied}`);
  const unmatched = x.policies.filter((p) => p.applied && !p.matched);
  if (unmatched.length > 0) {
    lines.push("applied but did not match:");
    for (const p of unmatched) {
      const f = p.firstFailedClause;
      let why = p.note ?? "";
      if (f && f.result === "failed") why = `rule ${f.rule}: ${f.clause} ${JSON.stringify(f.written)} vs ${f.compared}`;
      else if (f && !p.note) why = `rule ${f.rule}: ${f.compared}`;
      lines.push(`  ${p.policy} (${p.action}${p.dryRun ? ", dry-run" : ""}) at ${p.location}: ${why}`);
    }
  }
  const matchedOthers = x.policies.filter((p) => p.applied && p.matched && !("policy" in x.decidedBy && x.decidedBy.policy === p.policy));
  if (matchedOthers.length > 0) lines.push(`also matched (did not decide): ${matchedOthers.map((p) => `${p.policy} (${p.action})`).join(", ")}`);
  const notApplied = x.policies.filter((p) => !p.applied);
  if (notApplied.length > 0) {
    lines.push("did not apply:");
    for (const p of notApplied) lines.push(`  ${p.policy} at ${p.location}: ${p.note}`);
  }
  return lines.join("\n") + "\n";
}
