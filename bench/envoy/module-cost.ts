// What module size costs in Envoy (issue 16, point 6), per module: the time a Wasm VM takes to start and the memory
// it holds, from Envoys that load K distinct VMs of the module (each VM is instantiated on the main thread and on
// each of the 2 workers) against the same Envoy without Wasm; and the time a listener update (LDS from a watched
// file) takes when it brings new VMs of the module.
import { statSync } from "node:fs";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { startEnvoy } from "../../envoy/process.ts";
import { repoRoot, type Envoy } from "../../envoy/provision.ts";
import type { Placement } from "./measure.ts";
import { pin, rssMiB } from "./proc.ts";
import { spread, type Spread } from "./report.ts";
import { shippedWasmFilter, type FilterEntry } from "./shipped-filters.ts";

const VMS = 4;
const WORKERS = 2;
const REPEATS = 3;
const ADMIN = 17200;

/** Each module with a realistic configuration, as it ships. */
const MODULES: Record<string, () => FilterEntry> = {
  "example-header": () => shippedWasmFilter("filters/example-header/envoy.yaml", "example-header"),
  "connect-headers": () => shippedWasmFilter("egress.yaml", "connect-headers"),
  "hbone-inbound": () => shippedWasmFilter("ztunnel.yaml", "hbone-inbound"),
  "hbone-outbound": () => shippedWasmFilter("ztunnel.yaml", "hbone-outbound"),
  "istio-stats": () => shippedWasmFilter("sidecar.yaml", "http", "istio-stats-inbound"),
  "identity-rbac": () => shippedWasmFilter("sidecar.yaml", "identity-rbac-l7"),
};

export interface ModuleCost {
  module: string;
  bytes: number;
  /** Milliseconds of start-up added per VM instance (K VMs × (main + workers)). */
  startMsPerVm: Spread;
  /** MiB of RSS added per VM instance. */
  memoryMiBPerVm: Spread;
  /** Milliseconds from writing a listener update that brings K new VMs to the listener being active. */
  reloadMs: Spread;
}

function withVmId(entry: FilterEntry, vmId: string): FilterEntry {
  const e = structuredClone(entry);
  const config = e.typed_config.config as { vm_config: { vm_id?: string } };
  config.vm_config.vm_id = vmId;
  return e;
}

const ROUTER = { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } };

/** One listener carrying `entries` (HTTP Wasm filters in an HCM, or network Wasm filters before tcp_proxy). */
function listenerWith(entries: FilterEntry[], withType = false): Record<string, unknown> {
  const network = entries.some((e) => String(e.typed_config["@type"]).includes("filters.network.wasm"));
  const filters = network
    ? [...entries, { name: "envoy.filters.network.tcp_proxy", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", stat_prefix: "cost", cluster: "nowhere" } }]
    : [{
        name: "envoy.filters.network.http_connection_manager",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
          stat_prefix: "cost",
          route_config: { virtual_hosts: [{ name: "all", domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200 } }] }] },
          http_filters: [...entries, ROUTER],
        },
      }];
  return {
    ...(withType ? { "@type": "type.googleapis.com/envoy.config.listener.v3.Listener" } : {}),
    name: "cost",
    address: { socket_address: { address: "127.0.0.1", port_value: 17201 } },
    filter_chains: [{ filters }],
  };
}

const CLUSTERS = [{ name: "nowhere", type: "STATIC", connect_timeout: "1s" }];

async function startAndMeasure(envoy: Envoy, yaml: string, place: Placement): Promise<{ ms: number; rss: number }> {
  const t0 = performance.now();
  const p = await startEnvoy({ envoy, config: { yaml }, cwd: repoRoot, concurrency: WORKERS, logLevel: "error", readyTimeoutMs: 120_000 });
  const ms = performance.now() - t0;
  try {
    if (place.dutCpu !== undefined) pin(p.child.pid!, place.dutCpu);
    await new Promise((r) => setTimeout(r, 500));
    return { ms, rss: rssMiB(p.child.pid!) };
  } finally {
    await p.stop();
  }
}

async function stat(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ADMIN}/stats?filter=${encodeURIComponent(`^${name.replace(/\./g, "\\.")}$`)}`)).text();
  return Number(new RegExp(`: (\\d+)`).exec(text)?.[1] ?? 0);
}

/** Time from an atomic rename of the LDS file to Envoy having applied it with no listener warming. */
async function reloadTimes(envoy: Envoy, entries: (generation: number) => FilterEntry[]): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "aw-module-cost-"));
  const lds = join(dir, "lds.yaml");
  const write = (generation: number) => {
    const tmp = join(dir, `.lds-${generation}.yaml`);
    writeFileSync(tmp, stringify({ resources: [listenerWith(entries(generation), true)] }, { aliasDuplicateObjects: false }));
    renameSync(tmp, lds);
  };
  write(0);
  const bootstrap = stringify({
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: ADMIN } } },
    node: { id: "module-cost", cluster: "bench" },
    dynamic_resources: { lds_config: { path_config_source: { path: lds, watched_directory: { path: dir } }, resource_api_version: "V3" } },
    static_resources: { clusters: CLUSTERS },
  });
  const p = await startEnvoy({ envoy, config: { yaml: bootstrap }, cwd: repoRoot, concurrency: WORKERS, logLevel: "error", readyTimeoutMs: 120_000 });
  const out: number[] = [];
  try {
    for (let g = 1; g <= REPEATS; g++) {
      const before = await stat("listener_manager.lds.update_success");
      const t0 = performance.now();
      write(g);
      for (;;) {
        if ((await stat("listener_manager.lds.update_success")) > before && (await stat("listener_manager.total_listeners_warming")) === 0) break;
        if ((await stat("listener_manager.lds.update_rejected")) > 0) throw new Error(`listener update rejected:\n${p.log().slice(-2000)}`);
        if (performance.now() - t0 > 60_000) throw new Error("listener update not applied within 60 s");
        await new Promise((r) => setTimeout(r, 5));
      }
      out.push(performance.now() - t0);
    }
  } finally {
    await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function measureModuleCost(envoy: Envoy, place: Placement, log: (s: string) => void): Promise<{ modules: ModuleCost[]; baseline: { startMs: Spread; rssMiB: Spread; reloadMs: Spread }; vms: number; workers: number; summary: string }> {
  const instances = VMS * (WORKERS + 1);
  const bootstrap = (entries: FilterEntry[]) => stringify({
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: ADMIN } } },
    static_resources: { listeners: [listenerWith(entries)], clusters: CLUSTERS },
  }, { aliasDuplicateObjects: false });
  log("module cost: Envoy without Wasm ...");
  const base = [];
  for (let i = 0; i < REPEATS; i++) base.push(await startAndMeasure(envoy, bootstrap([]), place));
  const baseReload = await reloadTimes(envoy, () => []);
  const baseMs = spread(base.map((b) => b.ms)).median;
  const baseRss = spread(base.map((b) => b.rss)).median;
  const modules: ModuleCost[] = [];
  for (const [module, entry] of Object.entries(MODULES)) {
    log(`module cost: ${module} (${VMS} VMs × ${WORKERS + 1} threads) ...`);
    const entries = (generation: number) => Array.from({ length: VMS }, (_, k) => withVmId(entry(), `${module}-g${generation}-${k}`));
    const runs = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await startAndMeasure(envoy, bootstrap(entries(0)), place));
    modules.push({
      module,
      bytes: statSync(join(repoRoot, "build", `${module}.wasm`)).size,
      startMsPerVm: spread(runs.map((r) => (r.ms - baseMs) / instances)),
      memoryMiBPerVm: spread(runs.map((r) => (r.rss - baseRss) / instances)),
      reloadMs: spread(await reloadTimes(envoy, entries)),
    });
  }
  const baseline = { startMs: spread(base.map((b) => b.ms)), rssMiB: spread(base.map((b) => b.rss)), reloadMs: spread(baseReload) };
  const lines = [
    `module cost in Envoy ${envoy.version} (${VMS} VMs per module, each on the main thread and ${WORKERS} workers = ${instances} instances; medians of ${REPEATS})`,
    `  without Wasm: start ${baseline.startMs.median.toFixed(0)} ms, RSS ${baseline.rssMiB.median.toFixed(1)} MiB, listener update ${baseline.reloadMs.median.toFixed(0)} ms`,
    "  module            bytes   start ms/VM   MiB/VM   listener update with 4 new VMs (ms)",
    ...modules.map((m) => `  ${m.module.padEnd(16)}  ${String(m.bytes).padStart(6)}  ${m.startMsPerVm.median.toFixed(1).padStart(11)}  ${m.memoryMiBPerVm.median.toFixed(2).padStart(7)}  ${m.reloadMs.median.toFixed(0).padStart(6)}`),
  ];
  return { modules, baseline, vms: VMS, workers: WORKERS, summary: lines.join("\n") };
}
