// `npm run bench:envoy`: every case of bench/envoy/cases.ts in real Envoy (2 workers), a table on stdout
// (`--json`: the JSON report only). `--soak` runs the soak instead (bench/envoy/soak.ts). See bench/README.md.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { describeEnvoy, resolveEnvoy } from "../../envoy/provision.ts";
import { CASES } from "./cases.ts";
import { measureCase, measureStream, startBackend, type CaseMeasurement, type Placement, type RunSettings } from "./measure.ts";
import { cpuCount, loadAverage, machine, pin } from "./proc.ts";
import { figures, ISTIO_ANCHORS, table, verdicts } from "./report.ts";
import { measureMeshChain, meshAvailable } from "./mesh-chain.ts";
import { runSoak } from "./soak.ts";
import { measureModuleCost } from "./module-cost.ts";

const USAGE = `usage: npm run -s bench:envoy -- [--json] [--quick] [--only a,b] [--runs N] [--seconds S] [--out file]
       npm run -s bench:envoy -- --soak [--minutes N] [--json]
       npm run -s bench:envoy -- --module-cost [--json]`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: "boolean" },
      quick: { type: "boolean" },
      only: { type: "string" },
      runs: { type: "string" },
      seconds: { type: "string" },
      out: { type: "string" },
      soak: { type: "boolean" },
      minutes: { type: "string" },
      "module-cost": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const log = (s: string) => process.stderr.write(s + "\n");
  const envoy = resolveEnvoy({});
  const cores = cpuCount();
  // The Envoy under test on core 0; generator, client Envoy, backend and this process on core 1.
  const place: Placement = cores >= 2 ? { dutCpu: 0, loadCpu: 1 } : {};
  if (place.loadCpu !== undefined) pin(process.pid, place.loadCpu);
  const header = {
    machine: { ...machine(), loadAverageAtStart: loadAverage() },
    envoy: { version: envoy.version, build: envoy.build, source: envoy.source },
    placement: cores >= 2
      ? "Envoy under test: --concurrency 2 pinned to CPU 0 (taskset -a); h2load, the client Envoy, the backend Envoy and the Node runner pinned to CPU 1"
      : "one CPU: nothing pinned, generator and Envoy share it",
  };
  log(`real Envoy: ${describeEnvoy(envoy)}; ${header.placement}`);

  if (values.soak) {
    const result = await runSoak(envoy, place, Number(values.minutes ?? 10), log);
    const report = { ...header, soak: result };
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else console.log(result.summary);
    if (values.out) writeFileSync(values.out, JSON.stringify(report, null, 2) + "\n");
    return result.ok ? 0 : 1;
  }
  if (values["module-cost"]) {
    const result = await measureModuleCost(envoy, place, log);
    const report = { ...header, moduleCost: result };
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else console.log(result.summary);
    if (values.out) writeFileSync(values.out, JSON.stringify(report, null, 2) + "\n");
    return 0;
  }

  const quick = values.quick ?? false;
  const settings: RunSettings = {
    runs: Number(values.runs ?? (quick ? 1 : 5)),
    seconds: Number(values.seconds ?? 3),
    maxSeconds: 2,
    rate: 1000,
    bodyBytes: 1024,
    streamSeconds: quick ? 2 : 3,
    connectionSeconds: quick ? 1 : 2,
  };
  const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
  const cases = only ? CASES.filter((c) => only.includes(c.id)) : CASES;
  const unknown = (only ?? []).filter((id) => !CASES.some((c) => c.id === id));
  if (unknown.length) {
    console.error(`unknown case(s): ${unknown.join(", ")}; cases: ${CASES.map((c) => c.id).join(", ")}`);
    return 2;
  }
  const started = Date.now();
  const backend = await startBackend(envoy, place);
  const measurements: CaseMeasurement[] = [];
  const errors: string[] = [];
  try {
    for (const c of cases) {
      for (const protocol of c.protocols) {
        log(`${c.id} (${protocol}) ...`);
        try {
          if (c.mesh) {
            const available = meshAvailable();
            if (available !== true) throw new Error(`needs network namespaces: ${available}`);
          }
          const m = c.mesh ? await measureMeshChain(envoy, settings, place) : await measureCase(envoy, backend, c, protocol, settings, place);
          if (c.stream && protocol === "h1") m.streamMBps = await measureStream(envoy, c, settings, place);
          measurements.push(m);
        } catch (e) {
          errors.push(`${c.id} (${protocol}): ${(e as Error).message}`);
          log(`  error: ${(e as Error).message}`);
        }
      }
    }
  } finally {
    await backend.stop();
  }
  const f = figures(measurements);
  const v = verdicts(f, 0.01 / ((settings.rate * settings.seconds) / 1000));
  const report = {
    ...header,
    settings: { ...settings, load: "h2load (nghttp2-client): POST with a 1 KiB body, 1 KiB answer; fixed rate: HTTP/1.1 10 connections, HTTP/2 2 connections × 10 streams; max: HTTP/1.1 16 connections, HTTP/2 4 × 32 streams; connection rate (TCP, CONNECT): 250 new connections/s, one request each (Connection: close); stream: one TCP connection from Node" },
    istioAnchors: ISTIO_ANCHORS,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    loadAverageAtEnd: loadAverage(),
    cases: f,
    targets: v,
    errors,
  };
  if (values.out) writeFileSync(values.out, JSON.stringify(report, null, 2) + "\n");
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`${header.envoy.build}\n${header.machine.cpu}, ${header.machine.cores} cores; ${header.placement}\n`);
    console.log(table(f, v));
    if (errors.length) console.log(`\nerrors:\n  ${errors.join("\n  ")}`);
  }
  return errors.length ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
