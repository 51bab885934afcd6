// `npm run soak` — the full soak: 1M CONNECT streams through the 15008 chain and 100k TCP connections through
// the 15001 chain, exact metric values and flat memory checked. Options: --requests <n> --connections <n>.
import { runSoak } from "./soak.ts";

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const requests = opt("--requests", 1_000_000);
const connections = opt("--connections", 100_000);

const r = runSoak({ requests, connections, progress: (t) => console.error(`  ${t}`) });
let failed = 0;
console.log(`HTTP: ${requests} CONNECT streams in ${r.httpSeconds.toFixed(1)} s (${((r.httpSeconds * 1e6) / requests).toFixed(1)} µs each)`);
console.log(`TCP:  ${connections} connections in ${r.tcpSeconds.toFixed(1)} s (${((r.tcpSeconds * 1e6) / connections).toFixed(1)} µs each)`);
for (const c of r.checks) {
  const ok = c.actual === c.expected;
  if (!ok) failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${c.what}: ${c.actual}${ok ? "" : ` (expected ${c.expected})`}`);
}
for (const m of r.memory) {
  const ok = m.atEnd === m.afterWarmUp;
  if (!ok) failed++;
  console.log(`${ok ? "ok  " : "FAIL"} memory ${m.vm}: ${m.afterWarmUp} → ${m.atEnd} pages`);
}
for (const t of r.traps) { failed++; console.log(`FAIL trap: ${t}`); }
for (const w of r.warnings) { failed++; console.log(`FAIL warning: ${w}`); }
console.log(failed ? `${failed} failures` : "soak passed");
process.exitCode = failed ? 1 : 0;
