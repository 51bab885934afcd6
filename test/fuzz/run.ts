// `npm run fuzz` — at least 1M inputs per filter (traffic and configuration inputs together) through the
// emulator, checking no trap, bounded memory and deterministic decisions for every input.
// Options: --inputs <n per filter> (default 1000000)  --only <filter,...>  --seed <n>  --fresh-every <n> (default 1000)
import fc from "fast-check";
import { fuzzTargets, isBuilt } from "./targets.ts";
import { FuzzSession } from "./session.ts";

function parseArgs(argv: string[]) {
  const o = { inputs: 1_000_000, only: null as string[] | null, seed: Date.now() % 2 ** 31, freshEvery: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i];
    if (argv[i] === "--inputs") o.inputs = Number(v());
    else if (argv[i] === "--only") o.only = v().split(",");
    else if (argv[i] === "--seed") o.seed = Number(v());
    else if (argv[i] === "--fresh-every") o.freshEvery = Number(v());
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return o;
}

/** Share of a filter's inputs spent on random configurations (each loads a plugin, so they are costlier). */
const CONFIG_SHARE = 0.1;
const CHUNK = 10_000;

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const targets = fuzzTargets();
  const filters = [...new Set(targets.map((t) => t.filter))].filter((f) => !o.only || o.only.includes(f));
  console.log(`seed ${o.seed}, ${o.inputs} inputs per filter`);
  const rows: string[] = [];
  let failed = false;
  for (const filter of filters) {
    if (!isBuilt(filter)) { console.error(`missing: build/${filter}.wasm`); continue; }
    const t0 = performance.now();
    let total = 0;
    const parts: string[] = [];
    for (const target of targets.filter((t) => t.filter === filter)) {
      const runs = Math.round(o.inputs * (target.name.endsWith("/config") ? CONFIG_SHARE : 1 - CONFIG_SHARE));
      const session = new FuzzSession(target, o.freshEvery);
      const t1 = performance.now();
      // Chunks with their own seeds: a failing input is recorded and the run goes on, so the count is reached
      // and every distinct failure shows up.
      const failures = new Map<string, { text: string; count: number }>();
      for (let chunk = 0; session.inputs < runs; chunk++) {
        const n = Math.min(CHUNK, runs - session.inputs);
        const result = fc.check(fc.property(target.arbitrary, (input) => { session.check(input); }), {
          numRuns: n, seed: o.seed + chunk, maxSkipsPerRun: 0,
        });
        if (session.inputs % 100_000 < n) process.stderr.write(`  ${target.name}: ${session.inputs} inputs, ${((performance.now() - t1) / 1000).toFixed(0)} s\n`);
        if (result.failed) {
          const why = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
          const key = why.split("\n")[0].replace(/\d+/g, "#");
          const seen = failures.get(key);
          if (seen) seen.count++;
          else if (failures.size < 5) failures.set(key, { text: `${why.slice(0, 2500)}\n    counterexample: ${JSON.stringify(result.counterexample)?.slice(0, 1500)} (seed ${o.seed + chunk})`, count: 1 });
          session.restart();
        }
      }
      const secs = (performance.now() - t1) / 1000;
      total += session.inputs;
      const trail = session.pagesTrail;
      parts.push(`${target.name}: ${session.inputs} inputs (${session.freshChecks} on fresh VMs) in ${secs.toFixed(1)} s, max ${session.maxPages} pages`);
      // Bounded memory over a long run: no growth in the second half (needs ≥ 100k inputs on one VM).
      if (trail.length >= 100 && !target.recycleEvery && failures.size === 0) {
        const half = trail[Math.floor(trail.length / 2)], late = trail[trail.length - 1];
        if (late - half > 8) { failed = true; parts.push(`  MEMORY GROWTH in the second half: ${half} → ${late} pages (trail ${trail.join(",")})`); }
      }
      for (const f of failures.values()) {
        failed = true;
        parts.push(`  FAILED (${f.count} of ${Math.ceil(runs / CHUNK)} chunks): ${f.text}`);
      }
    }
    const secs = (performance.now() - t0) / 1000;
    rows.push(`${filter.padEnd(16)} ${String(total).padStart(9)} inputs  ${secs.toFixed(1).padStart(7)} s`);
    console.log(parts.join("\n"));
  }
  console.log("\nfilter              inputs   elapsed");
  console.log(rows.join("\n"));
  console.log(`total elapsed ${((performance.now() - started) / 1000).toFixed(1)} s${failed ? " — FAILURES above" : ""}`);
  return failed ? 1 : 0;
}

main().then((c) => { process.exitCode = c; }, (e) => { console.error(e); process.exitCode = 2; });
