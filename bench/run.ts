// `npm run bench` — what each filter costs through the emulator, against a no-op floor, with the targets of
// issue 8 marked pass/miss. `--json` prints only JSON on stdout (progress and missing filters go to stderr).
//
// Options: --json  --out <file> (also write the JSON there)  --ops <n> (operations for the memory check,
// default 1000000)  --rounds <n> (timed rounds, default 61)  --only <name,name>  --strict (exit 1 on a missed target)
// --update-readme (write the table into bench/README.md "Latest results")
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cpus, totalmem, platform, arch, release } from "node:os";
import { Host, PluginLoadError } from "../emulator/index.ts";
import { floorCallbacks, floorModule } from "./floor.ts";
import { loadFilter, loadFloor, loadScenario, memoryPages, moduleBytes, runOperation } from "./lifecycle.ts";
import { interleave, iqrPercent, median, warmUp } from "./measure.ts";
import { probe } from "./probe.ts";
import { scenarios, type Scenario } from "./scenarios.ts";
import { checkTargets, type BenchResult, type TargetCheck } from "./targets.ts";

interface Options { json: boolean; out: string | null; ops: number; rounds: number; only: string[] | null; strict: boolean; updateReadme: boolean }

function parseArgs(argv: string[]): Options {
  const o: Options = { json: false, out: null, ops: 1_000_000, rounds: 61, only: null, strict: false, updateReadme: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--json") o.json = true;
    else if (a === "--strict") o.strict = true;
    else if (a === "--update-readme") o.updateReadme = true;
    else if (a === "--out") o.out = value();
    else if (a === "--ops") o.ops = Number(value());
    else if (a === "--rounds") o.rounds = Number(value());
    else if (a === "--only") o.only = value().split(",");
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.ops) || o.ops < 1000) throw new Error("--ops must be an integer ≥ 1000");
  if (!Number.isInteger(o.rounds) || o.rounds < 3) throw new Error("--rounds must be an integer ≥ 3");
  return o;
}

const log = (msg: string) => process.stderr.write(msg + "\n");

export interface DetailedResult extends BenchResult {
  host_calls_breakdown: Record<string, number>;
  /** Interquartile range of the timed rounds relative to their median (%), measured and floor. */
  noise_pct: { measured: number; floor: number };
  start_cold_ms: number;
  ops_run: number;
  targets: TargetCheck[];
}

/**
 * The module with a custom section appended ("bench-nonce"), so V8 cannot reuse an earlier compilation of the
 * same bytes (it caches by wire bytes) and every load pays for compiling, as a new VM in Envoy does.
 */
function uncached(bytes: Uint8Array, nonce: number): Uint8Array {
  const name = Buffer.from("bench-nonce");
  const payload = Buffer.concat([Buffer.from([name.length]), name, Buffer.from(String(nonce))]);
  if (payload.length > 127) throw new Error("nonce too long");
  return new Uint8Array(Buffer.concat([bytes, Buffer.from([0, payload.length]), payload]));
}

let nonce = 0;

/** VM load (compile, instantiate, _initialize) + start + configure on a fresh host: [median of `runs`, first run]. */
function startMs(scenario: Scenario, runs: number): [number, number] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const host = new Host(scenario.hostOptions);
    const bytes = scenario.filters.map((f) => uncached(moduleBytes(f.filter)!, nonce++));
    const t0 = performance.now();
    scenario.filters.forEach((spec, j) => loadFilter(host, spec, bytes[j]));
    times.push(performance.now() - t0);
  }
  return [median(times), times[0]];
}

async function measure(scenario: Scenario, o: Options): Promise<DetailedResult> {
  const floorBytes = await floorModule(scenario.shape);
  // Callbacks and host calls first (instrumented, on its own host).
  const p = probe(scenario);
  const want = floorCallbacks(floorBytes);
  const same = p.callbacks.size === want.size && [...want].every((c) => p.callbacks.has(c));
  if (!same) {
    throw new Error(`floor/${scenario.shape}.wat exports ${[...want].sort().join(",")} but the operation reaches ${[...p.callbacks].sort().join(",")}`);
  }

  const [startMedian, startCold] = startMs(scenario, 15);
  const { host, plugins } = loadScenario(scenario);
  const floor = loadFloor(scenario, floorBytes);
  scenario.verify(host, runOperation(host, plugins, scenario));
  let ops = 1;
  const run = () => { runOperation(host, plugins, scenario); };
  const runFloor = () => { runOperation(floor.host, floor.plugins, scenario); };

  ops += warmUp(run, 5000, 500);
  warmUp(runFloor, 5000, 500);
  const pagesAfterWarmUp = memoryPages(plugins);

  const timed = interleave(run, runFloor, o.rounds, 10);
  let afterWarmUp = timed.measuredOps;
  while (afterWarmUp < o.ops) {
    const n = Math.min(10_000, o.ops - afterWarmUp);
    for (let i = 0; i < n; i++) run();
    afterWarmUp += n;
  }
  ops += afterWarmUp;
  const growth = memoryPages(plugins) - pagesAfterWarmUp;
  scenario.verify(host, runOperation(host, plugins, scenario));
  ops += 1;
  scenario.verifyCount(host, ops);
  if (host.traps.length) throw new Error(`trap: ${host.traps[0].message}`);
  const warning = host.logs.find((l) => l.level === "warn" || l.level === "error" || l.level === "critical");
  if (warning) throw new Error(`logged at ${warning.level}: ${warning.line}`);
  if (floor.host.traps.length) throw new Error(`floor trap: ${floor.host.traps[0].message}`);

  const ns = median(timed.measuredNs);
  const floorNs = median(timed.floorNs);
  const result: BenchResult = {
    name: scenario.name,
    ns_per_op: Math.round(ns),
    floor_ns_per_op: Math.round(floorNs),
    ratio: round(ns / floorNs, 2),
    host_calls_per_op: round(p.hostCallsPerOp, 2),
    memory_pages_growth: growth,
    wasm_bytes: scenario.filters.reduce((n, f) => n + moduleBytes(f.filter)!.length, 0),
    start_ms: round(startMedian, 3),
  };
  const noise = { measured: round(iqrPercent(timed.measuredNs), 1), floor: round(iqrPercent(timed.floorNs), 1) };
  return { ...result, host_calls_breakdown: p.breakdown, noise_pct: noise, start_cold_ms: round(startCold, 3), ops_run: ops, targets: checkTargets(result) };
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

function machine() {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? "unknown",
    cores: c.length,
    memory_gb: round(totalmem() / 2 ** 30, 1),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    v8: process.versions.v8,
    date: new Date().toISOString(),
  };
}

function mark(r: DetailedResult, target: string, text: string): string {
  const t = r.targets.find((x) => x.target === target);
  if (!t) return text;
  return `${text} ${t.pass ? "ok" : `MISS(≤${t.limit})`}`;
}

export function table(results: DetailedResult[]): string {
  const header = ["case", "ns/op", "floor ns/op", "ratio", "host calls/op", "mem Δpages", "wasm bytes", "start ms"];
  const rows = results.map((r) => [
    r.name,
    String(r.ns_per_op),
    String(r.floor_ns_per_op),
    mark(r, "ratio", r.ratio.toFixed(2)),
    mark(r, "host_calls_per_op", String(r.host_calls_per_op)),
    mark(r, "memory_pages_growth", String(r.memory_pages_growth)),
    mark(r, "wasm_bytes", String(r.wasm_bytes)),
    mark(r, "start_ms", r.start_ms.toFixed(2)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => "| " + row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ") + " |";
  const sep = "|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|";
  return [fmt(header), sep, ...rows.map(fmt)].join("\n");
}

function summary(report: { machine: ReturnType<typeof machine>; results: DetailedResult[]; missing: Array<{ name: string; reason: string }>; errors: Array<{ name: string; error: string }> }): string {
  const m = report.machine;
  const lines = [`${m.cpu}, ${m.cores} cores, ${m.memory_gb} GiB, ${m.os}, Node ${m.node} (V8 ${m.v8}), ${m.date}`, "", table(report.results), ""];
  for (const x of report.missing) lines.push(`missing: ${x.name} — ${x.reason}`);
  for (const x of report.errors) lines.push(`ERROR: ${x.name} — ${x.error}`);
  const missed = report.results.flatMap((r) => r.targets.filter((t) => !t.pass).map((t) => `${r.name} ${t.target} ${t.value} > ${t.limit}`));
  lines.push(missed.length ? `targets missed:\n  ${missed.join("\n  ")}` : "all targets met");
  return lines.join("\n");
}

/** Replaces the "Latest results" block of bench/README.md. */
function updateReadme(text: string): void {
  const path = fileURLToPath(new URL("./README.md", import.meta.url));
  const readme = readFileSync(path, "utf8");
  const start = readme.indexOf("<!-- results -->");
  if (start < 0) throw new Error("bench/README.md has no <!-- results --> marker");
  const endMarker = "<!-- /results -->";
  const end = readme.indexOf(endMarker, start);
  const block = `<!-- results -->\n\n\`\`\`\n${text}\n\`\`\`\n\n${endMarker}`;
  writeFileSync(path, readme.slice(0, start) + block + (end < 0 ? "\n" : readme.slice(end + endMarker.length)));
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const results: DetailedResult[] = [];
  const missing: Array<{ name: string; reason: string }> = [];
  const errors: Array<{ name: string; error: string }> = [];
  for (const entry of scenarios()) {
    if (o.only && !o.only.includes(entry.name)) continue;
    const scenario = entry.scenario;
    const absent = scenario ? scenario.filters.filter((f) => !moduleBytes(f.filter)).map((f) => `build/${f.filter}.wasm`) : [];
    if (!scenario || absent.length) {
      const reason = entry.missing ?? `not built: ${absent.join(", ")}`;
      log(`missing: ${entry.name} (${reason})`);
      missing.push({ name: entry.name, reason });
      continue;
    }
    log(`measuring ${entry.name} ...`);
    const t0 = performance.now();
    try {
      const r = await measure(scenario, o);
      results.push(r);
      log(`  ${r.ns_per_op} ns/op (floor ${r.floor_ns_per_op}), ${r.host_calls_per_op} host calls, ${r.ops_run} ops in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      const msg = err instanceof PluginLoadError ? `plugin load failed: ${err.message}` : err instanceof Error ? err.message : String(err);
      if (err instanceof PluginLoadError) {
        log(`missing: ${entry.name} (${msg})`);
        missing.push({ name: entry.name, reason: msg });
      } else {
        log(`error: ${entry.name}: ${msg}`);
        errors.push({ name: entry.name, error: msg });
      }
    }
  }
  const report = { machine: machine(), results, missing, errors };
  const text = JSON.stringify(report, null, 2);
  if (o.out) writeFileSync(o.out, text + "\n");
  if (o.updateReadme) updateReadme(summary(report));
  if (o.json) process.stdout.write(text + "\n");
  else console.log(summary(report));
  const anyMiss = results.some((r) => r.targets.some((t) => !t.pass));
  return errors.length || (o.strict && anyMiss) ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (err) => {
  log(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exitCode = 2;
});
