// Soak (issue 16, point 5): the L7 chain (sidecar.yaml's identity-rbac-l7 → istio-stats http) and ztunnel.yaml's
// 15008 chain under 1000 requests/s together for N minutes, allowed and denied requests mixed on the L7 chain
// (every other request asks for /admin, which deny-admin answers with 403). Envoy's RSS is sampled every
// 10 seconds; it must be flat after the warm-up (the first fifth), nothing may crash, and every counter must equal
// what the generator sent.
import { startEnvoy, type EnvoyProcess } from "../../envoy/process.ts";
import { repoRoot, type Envoy } from "../../envoy/provision.ts";
import { CASES } from "./cases.ts";
import { runH2load, type H2loadResult } from "./load.ts";
import { counter, startBackend, type Placement } from "./measure.ts";
import { pin, rssMiB } from "./proc.ts";
import { clientConfig, dutConfig } from "./topology.ts";

export interface SoakResult {
  ok: boolean;
  minutes: number;
  rssSamples: { chain: string; seconds: number; rssMiB: number }[];
  rssFlat: boolean;
  /** RSS growth after warm-up per chain (MiB): median of the last third minus median of the first post-warm-up third. */
  growthMiB: Record<string, number>;
  counters: Record<string, Record<string, number>>;
  countersEqual: boolean;
  crashed: string[];
  summary: string;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Flat: growth after warm-up within 2 MiB or 3% of the warm RSS, whichever is larger. */
export function isFlat(samples: number[]): { flat: boolean; growth: number } {
  const warm = samples.slice(Math.floor(samples.length / 5));
  if (warm.length < 3) return { flat: true, growth: 0 };
  const third = Math.max(1, Math.floor(warm.length / 3));
  const growth = median(warm.slice(-third)) - median(warm.slice(0, third));
  return { flat: growth <= Math.max(2, 0.03 * median(warm.slice(0, third))), growth };
}

async function start(envoy: Envoy, yaml: string, cpu: number | undefined, concurrency: number): Promise<EnvoyProcess> {
  const p = await startEnvoy({ envoy, config: { yaml }, cwd: repoRoot, concurrency, logLevel: "error", readyTimeoutMs: 60_000 });
  if (cpu !== undefined) pin(p.child.pid!, cpu);
  return p;
}

export async function runSoak(envoy: Envoy, place: Placement, minutes: number, log: (s: string) => void): Promise<SoakResult> {
  const l7 = CASES.find((c) => c.id === "http/sidecar-inbound")!;
  const hbone = CASES.find((c) => c.id === "connect/ztunnel-inbound")!;
  const backend = await startBackend(envoy, place);
  const started: EnvoyProcess[] = [];
  const result: SoakResult = { ok: false, minutes, rssSamples: [], rssFlat: false, growthMiB: {}, counters: {}, countersEqual: false, crashed: [], summary: "" };
  try {
    const l7Client = await start(envoy, clientConfig("http", "h1", false, { generator: 17000, admin: 17100 }), place.loadCpu, 1);
    const hboneClient = await start(envoy, clientConfig("connect", "h1", false, { generator: 17010, admin: 17110 }), place.loadCpu, 1);
    const l7Dut = await start(envoy, dutConfig("http", l7.filters(), false, 17101), place.dutCpu, 2);
    const hboneDut = await start(envoy, dutConfig("connect", hbone.filters(), false, 17111), place.dutCpu, 2);
    started.push(l7Client, hboneClient, l7Dut, hboneDut);
    const duts = { "L7 chain": l7Dut, "ztunnel 15008 chain": hboneDut };
    const seconds = Math.round(minutes * 60);
    log(`soak: ${minutes} min at 500 + 500 requests/s (L7 chain: allowed and denied; ztunnel 15008 chain: allowed)`);
    const t0 = Date.now();
    const sampler = setInterval(() => {
      for (const [chain, p] of Object.entries(duts)) {
        try {
          result.rssSamples.push({ chain, seconds: Math.round((Date.now() - t0) / 1000), rssMiB: rssMiB(p.child.pid!) });
        } catch {
          if (!result.crashed.includes(chain)) result.crashed.push(chain);
        }
      }
    }, 10_000);
    let l7Run: H2loadResult;
    let hboneRun: H2loadResult;
    try {
      [l7Run, hboneRun] = await Promise.all([
        runH2load({ url: "http://127.0.0.1:17000", protocol: "h1", requests: 500 * seconds, clients: 10, rpsPerClient: 50, bodyBytes: 1024, paths: ["/info", "/admin/x"], cpu: place.loadCpu }),
        runH2load({ url: "http://127.0.0.1:17010", protocol: "h1", requests: 500 * seconds, clients: 10, rpsPerClient: 50, bodyBytes: 1024, cpu: place.loadCpu }),
      ]);
    } finally {
      clearInterval(sampler);
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const [chain, p] of Object.entries(duts)) if (p.child.exitCode !== null && !result.crashed.includes(chain)) result.crashed.push(chain);
    const c = {
      "L7 chain": {
        sent: l7Run.started,
        answered2xx: l7Run.status["2xx"],
        answered403: l7Run.status["4xx"],
        dut2xx: await counter(l7Dut, "http.dut.downstream_rq_2xx"),
        dut403: await counter(l7Dut, "http.dut.downstream_rq_4xx"),
      },
      "ztunnel 15008 chain": {
        sent: hboneRun.started,
        answered2xx: hboneRun.status["2xx"],
        connects: await counter(hboneDut, "http.dut.downstream_rq_total"),
        expectedConnects: 10,
      },
      backend: { counted2xx: await counter(backend.proc, "http.backend.downstream_rq_2xx") },
    };
    result.counters = c;
    // Exactly 500 × seconds requests per chain, every answer awaited (a timed run would cut requests off in flight).
    const l7c = c["L7 chain"];
    const hc = c["ztunnel 15008 chain"];
    result.countersEqual =
      l7c.sent === l7c.answered2xx + l7c.answered403 && l7c.answered403 === l7c.dut403 && l7c.answered2xx === l7c.dut2xx &&
      Math.abs(l7c.answered2xx - l7c.answered403) <= 10 && // half of the requests were for /admin
      hc.sent === hc.answered2xx && hc.connects === hc.expectedConnects &&
      c.backend.counted2xx === l7c.answered2xx + hc.answered2xx;
    let flat = true;
    for (const chain of Object.keys(duts)) {
      const f = isFlat(result.rssSamples.filter((s) => s.chain === chain).map((s) => s.rssMiB));
      result.growthMiB[chain] = f.growth;
      flat &&= f.flat;
    }
    result.rssFlat = flat;
    result.ok = flat && result.countersEqual && result.crashed.length === 0;
    const rss = Object.keys(duts).map((chain) => {
      const s = result.rssSamples.filter((x) => x.chain === chain).map((x) => x.rssMiB);
      return `  ${chain}: RSS ${s[0]?.toFixed(1)} → ${s[s.length - 1]?.toFixed(1)} MiB (growth after warm-up ${result.growthMiB[chain].toFixed(2)} MiB)`;
    });
    result.summary = [
      `soak ${minutes} min: ${result.ok ? "ok" : "FAILED"}`,
      ...rss,
      `  RSS flat after warm-up: ${flat ? "ok" : "MISS"}; crashed: ${result.crashed.length ? result.crashed.join(", ") : "none"}`,
      `  counters equal what the generator sent: ${result.countersEqual ? "ok" : "MISS"} ${JSON.stringify(c)}`,
    ].join("\n");
    return result;
  } finally {
    await Promise.allSettled(started.map((p) => p.stop()));
    await backend.stop();
  }
}
