// Terminal rendering of a demo run: per connection what node-a decided, the CONNECT it would send, what node-b
// decided, and at the end each node's /stats/prometheus lines.
import type { ConnectionResult, DemoResult, Outcome } from "./simulate.ts";

const OUTCOME_LABEL: Record<Outcome, string> = {
  allowed: "ALLOWED",
  denied: "DENIED",
  blackholed: "BLACKHOLED",
  passthrough: "PASSTHROUGH",
  failed: "FAILED",
};

function connection(r: ConnectionResult, n: number): string[] {
  const out = [`[${n}] ${r.title}`, `    ${r.source} → ${r.destination}`];
  const o = r.outbound;
  if (o) {
    out.push(`    node-a ${o.listener}: route=${o.route} cluster=${o.cluster}${o.dial ? ` dial=${o.dial}` : ""}`);
    if (o.tunnelled && o.clientIdentity) out.push(`      presents ${o.clientIdentity}${o.expectedPeer ? `, requires peer ${o.expectedPeer}` : ""}`);
  }
  if (r.connect && (!o || o.tunnelled)) {
    out.push(`    CONNECT ${r.connect.authority} (HTTP/2)`);
    for (const [k, v] of r.connect.headers) out.push(`      ${k}: ${v}`);
  }
  const i = r.inbound;
  if (i) {
    out.push(`    node-b ${i.listener} [${i.chain}] peer=${i.peer}`);
    const rbac = i.rbac ? `identity-rbac ${i.rbac.action} (policy ${i.rbac.policy})` : "identity-rbac: no decision";
    out.push(`      ${rbac} → ${i.status}${i.details ? ` ${i.details}` : ""}${i.upstream ? `, upstream ${i.upstream}` : ""}`);
  }
  out.push(`    ${OUTCOME_LABEL[r.outcome]}: ${r.reason}`);
  return out;
}

export function renderText(result: DemoResult): string {
  const lines = [`ambient-wasm demo — plugin configurations from ${result.config}`, ""];
  result.connections.forEach((r, i) => lines.push(...connection(r, i + 1), ""));
  for (const node of result.prometheus) {
    // Envoy prints every series of a label set, zeros included; the terminal view keeps the non-zero samples.
    const samples = node.lines.filter((l) => !l.startsWith("#"));
    const shown = samples.filter((l) => !/ 0$/.test(l));
    lines.push(`${node.node} /stats/prometheus (${shown.length} non-zero samples; ${samples.length - shown.length} zero-valued omitted, --json has all)`);
    lines.push(...shown.map((l) => "  " + l), "");
  }
  return lines.join("\n");
}
