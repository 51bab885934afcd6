// Comments and READMEs cite Envoy and Istio facts as `docs/envoy-facts.md: <row id>, …`; every id must be a row
// of that document, and no file may cite a document a reader cannot open.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "../../scripts/asc.mjs";

const FACTS = "docs/envoy-facts.md";

function trackedFiles(): string[] {
  return execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "" && f !== "package-lock.json" && !/\.(wasm|binpb|png|jpg)$/.test(f));
}

function factIds(): Set<string> {
  const text = readFileSync(join(root, FACTS), "utf8");
  return new Set([...text.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]));
}

/** Every `docs/envoy-facts.md: a, b` citation in `text`, as [line number, id]. */
function citedIds(text: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  text.split("\n").forEach((line, i) => {
    for (const m of line.matchAll(/docs\/envoy-facts\.md: ([a-z0-9-]+(?:, [a-z0-9-]+)*)/g)) {
      for (const id of m[1].split(", ")) out.push([i + 1, id]);
    }
  });
  return out;
}

// Citations of notes outside the repository, and absolute machine paths.
const UNOPENABLE = /CONTRACTS\.md|istio-fact[s]|E [§]|fact[ ]sheet|seed[ ]00|\/work\/|\/tmp\//;

describe("citations", () => {
  const files = trackedFiles();
  const ids = factIds();

  it("docs/envoy-facts.md has unique row ids", () => {
    const text = readFileSync(join(root, FACTS), "utf8");
    const all = [...text.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);
    expect(all.length).toBeGreaterThan(20);
    expect(new Set(all).size).toBe(all.length);
  });

  it("the citation finder reads a list of ids", () => {
    expect(citedIds("x\n# see (docs/envoy-facts.md: set-property, wasmcustom). y")).toEqual([[2, "set-property"], [2, "wasmcustom"]]);
  });

  it("every cited fact id is a row of docs/envoy-facts.md", () => {
    const unknown: string[] = [];
    for (const file of files) {
      if (file === FACTS || file.startsWith("test/docs/")) continue;
      for (const [line, id] of citedIds(readFileSync(join(root, file), "utf8"))) {
        if (!ids.has(id)) unknown.push(`${file}:${line}: ${id}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it("no file cites a document outside the repository or a machine path", () => {
    const found: string[] = [];
    for (const file of files) {
      readFileSync(join(root, file), "utf8").split("\n").forEach((line, i) => {
        if (UNOPENABLE.test(line)) found.push(`${file}:${i + 1}`);
      });
    }
    expect(found).toEqual([]);
  });
});
