// The import graph of emulator/ and cli/: no module is part of an import circle — neither through value imports
// (including dynamic import()) nor through type-only ones — and no emulator module imports the façade
// emulator/index.ts.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const repoRoot = resolve(import.meta.dirname, "../..");

interface Edge { to: string; typeOnly: boolean }

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** A named import list is type-only when every specifier carries `type`. */
function namedTypeOnly(clause: string): boolean {
  const braces = /^\{([^}]*)\}$/.exec(clause.trim());
  if (!braces) return false;
  const names = braces[1].split(",").map((n) => n.trim()).filter(Boolean);
  return names.length > 0 && names.every((n) => n.startsWith("type "));
}

/** Relative imports and re-exports of one module's source. */
export function importsOf(file: string, source: string): Edge[] {
  const edges: Edge[] = [];
  const target = (spec: string) => relative(repoRoot, resolve(dirname(file), spec));
  // An import clause holds no quote or semicolon, so one match never runs into the next statement.
  const statement = /^[ \t]*(import|export)\s+(type\s+)?([^;"']*?)\s*from\s*["']([^"']+)["']/gm;
  for (const m of source.matchAll(statement)) {
    if (m[4].startsWith("./") || m[4].startsWith("../")) edges.push({ to: target(m[4]), typeOnly: m[2] !== undefined || namedTypeOnly(m[3]) });
  }
  for (const m of source.matchAll(/^[ \t]*import\s*["'](\.{1,2}\/[^"']+)["']/gm)) edges.push({ to: target(m[1]), typeOnly: false });
  for (const m of source.matchAll(/\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)) {
    // `typeof import("…")` in a type position is erased like an import type.
    const before = source.slice(Math.max(0, m.index! - 7), m.index!);
    edges.push({ to: target(m[1]), typeOnly: before.endsWith("typeof ") });
  }
  return edges;
}

/** Strongly connected components with more than one module (or a module importing itself): Tarjan's algorithm. */
export function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

const files = [...sourceFiles(join(repoRoot, "emulator")), ...sourceFiles(join(repoRoot, "cli"))];
const edges = new Map(files.map((f) => [relative(repoRoot, f), importsOf(f, readFileSync(f, "utf8"))]));
const graph = (includeTypes: boolean) => new Map([...edges].map(([f, es]) => [f, es.filter((e) => includeTypes || !e.typeOnly).map((e) => e.to)]));


describe("import graph of emulator/ and cli/", () => {
  it("reads every kind of relative import", () => {
    const src = [
      'import { a } from "./a.ts";',
      'import type { B } from "./b.ts";',
      'import { type C, type D } from "./c.ts";',
      'import { type E, f } from "./e.ts";',
      'export { g } from "./g.ts";',
      'export type * from "./h.ts";',
      'import "./side-effect.ts";',
      'const m = await import("./lazy.ts");',
      'type T = typeof import("./typed.ts");',
      'import { x } from "node:fs";',
      'import type { Y } from "./y.ts";',
    ].join("\n");
    expect(importsOf(join(repoRoot, "emulator/x.ts"), src)).toEqual([
      { to: "emulator/a.ts", typeOnly: false },
      { to: "emulator/b.ts", typeOnly: true },
      { to: "emulator/c.ts", typeOnly: true },
      { to: "emulator/e.ts", typeOnly: false },
      { to: "emulator/g.ts", typeOnly: false },
      { to: "emulator/h.ts", typeOnly: true },
      { to: "emulator/y.ts", typeOnly: true },
      { to: "emulator/side-effect.ts", typeOnly: false },
      { to: "emulator/lazy.ts", typeOnly: false },
      { to: "emulator/typed.ts", typeOnly: true },
    ]);
  });

  it("finds a circle when there is one", () => {
    const g = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]], ["e", ["e"]]]);
    expect(circles(g)).toEqual([["a", "b", "c"], ["e"]]);
    expect(circles(new Map([["a", ["b"]], ["b", []]]))).toEqual([]);
  });

  it("has no circle of value imports", () => {
    expect(files.length).toBeGreaterThan(50);
    expect(circles(graph(false))).toEqual([]);
  });

  it("no emulator module imports the façade emulator/index.ts", () => {
    const importers = [...edges].filter(([f, es]) => f.startsWith("emulator/") && f !== "emulator/index.ts" && es.some((e) => e.to === "emulator/index.ts")).map(([f]) => f);
    expect(importers).toEqual([]);
  });

  it("has no circle when type-only imports count too", () => {
    expect(circles(graph(true))).toEqual([]);
  });
});
