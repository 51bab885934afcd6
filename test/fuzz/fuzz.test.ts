// Fuzzing through the emulator, bounded for CI (`npm run fuzz` runs ≥ 1M inputs per filter): hostile headers,
// baggage, forwarded, :authority, addresses and peer identities, and random plugin configurations. Every input
// must leave no trap, keep linear memory under the cap, and decide the same when run again on the warm VM and
// (every few inputs) on a freshly loaded one. FUZZ_RUNS / FUZZ_SEED override the run count and the seed.
import { describe, it } from "vitest";
import fc from "fast-check";
import { fuzzTargets, isBuilt } from "./targets.ts";
import { FuzzSession } from "./session.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);

describe("fuzz", () => {
  for (const target of fuzzTargets()) {
    const config = target.name.endsWith("/config");
    it.runIf(isBuilt(target.filter))(`${target.name}: no trap, bounded memory, deterministic`, () => {
      const session = new FuzzSession(target, 10);
      fc.assert(fc.property(target.arbitrary, (input) => { session.check(input); }), {
        numRuns: config ? Math.ceil(RUNS / 2) : RUNS, seed: SEED,
      });
    }, 120_000);
  }
});
