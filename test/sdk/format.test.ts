// sdk/format.ts formatInt: the decimal text of every i64, as AssemblyScript's toString would give it.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { compileAssemblyScript } from "../../scripts/asc.mjs";
import { sdkProbe } from "../probes.ts";

interface Exports { memory: WebAssembly.Memory; format(n: bigint): number; agrees(n: bigint): number; _initialize?: () => void }
let ex: Exports;
beforeAll(async () => {
  const probe = sdkProbe("test/sdk/assembly/format.ts");
  const { outFile } = await compileAssemblyScript(probe.entry, probe.outFile, probe.options);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(outFile)), { env: { proxy_log: () => 0 } });
  ex = instance.exports as unknown as Exports;
  ex._initialize?.();
});

function format(n: bigint): string {
  const ptr = ex.format(n);
  const bytes = new Uint32Array(ex.memory.buffer, ptr - 4, 1)[0]; // AssemblyScript object header: byte length
  return String.fromCharCode(...new Uint16Array(ex.memory.buffer, ptr, bytes / 2));
}

describe("formatInt", () => {
  it("prints integers in decimal, including the extremes", () => {
    for (const n of [0n, 1n, -1n, 9n, 10n, -10n, 65535n, 4294967295n, 9223372036854775807n, -9223372036854775808n]) {
      expect(format(n)).toBe(n.toString());
    }
  });

  it("agrees with toString on random values (property)", () => {
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
      expect(format(n)).toBe(n.toString());
      expect(ex.agrees(n)).toBe(1);
    }), { numRuns: 2000 });
  });
});
