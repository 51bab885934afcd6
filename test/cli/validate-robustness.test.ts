// Whatever the input, the validator reports findings instead of crashing, and every finding has a position.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateSource } from "../../cli/validate/validate-config.ts";
import { fixturesDir, repoRoot } from "./validate-wasm.ts";

const lines = readFileSync(join(fixturesDir, "valid.yaml"), "utf8").split("\n");
const replacements = ["", "~", "on", "-1", "99999999999", "1.5", "[]", "{}", "'x'", "[1, {a: b}]", "!ignore x", "*nope", "&a x", "\"%\"", "0x1F", "constructor", "__proto__"];

/** One edit of the sample: drop a line, duplicate it, or replace the value after its colon. */
const edit = fc.tuple(fc.nat(lines.length - 1), fc.constantFrom("drop", "dup", "value", "key"), fc.constantFrom(...replacements));

function apply(edits: Array<[number, string, string]>): string {
  const out = [...lines];
  for (const [i, kind, text] of edits) {
    const line = out[i] ?? "";
    if (kind === "drop") out.splice(i, 1);
    else if (kind === "dup") out.splice(i, 0, line);
    else if (kind === "value") out[i] = line.replace(/:\s.*$/, `: ${text}`);
    else out[i] = line.replace(/^(\s*-?\s*)[^:\s]+:/, `$1${text || "k"}:`);
  }
  return out.join("\n");
}

describe("validate: robustness", () => {
  it("never throws on edited configs and positions every finding", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
        const diagnostics = await validateSource(apply(edits), "fuzz.yaml", { baseDir: repoRoot, loadWasm: false });
        for (const d of diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.col).toBeGreaterThanOrEqual(1);
          expect(d.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
