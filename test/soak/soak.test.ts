// Soak through the emulator, scaled for CI: 100k CONNECT streams through the 15008 chain and 10k TCP connections
// through the 15001 chain, then exact metric values and flat Wasm memory. `npm run soak` runs the full
// 1M streams / 100k connections with the same checks (test/soak/run.ts).
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { modulePath } from "../../bench/scenarios.ts";
import { runSoak, type SoakReport } from "./soak.ts";

const MODULES = ["hbone-inbound", "identity-rbac", "istio-stats", "hbone-outbound"];
const built = MODULES.every((m) => existsSync(modulePath(m)));

describe.runIf(built)("soak (100k CONNECT streams, 10k TCP connections)", () => {
  let report: SoakReport;

  it("runs without a trap or a warning", () => {
    report = runSoak({ requests: 100_000, connections: 10_000 });
    expect(report.traps).toEqual([]);
    expect(report.warnings).toEqual([]);
  }, 600_000);

  it("reports exactly the traffic it saw", () => {
    for (const c of report.checks) expect(c.actual, c.what).toBe(c.expected);
    expect(report.checks.length).toBeGreaterThanOrEqual(18);
  });

  it("keeps every VM's memory flat after warm-up", () => {
    for (const m of report.memory) expect(m.atEnd - m.afterWarmUp, `${m.vm}: ${m.afterWarmUp} → ${m.atEnd} pages`).toBe(0);
  });
});
