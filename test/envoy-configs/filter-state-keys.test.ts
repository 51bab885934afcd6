// The Envoy configs spell filter-state keys as YAML strings; each must be a key of the contract in
// lib/filter-state-keys.ts, so renaming a key there without the configs (or the reverse) fails here.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { DOWNSTREAM_BAGGAGE, FILTER_STATE_KEYS, HBONE_AUTHORITY, ISTIO_PEER_PRINCIPAL } from "../../lib/filter-state-keys.ts";
import { configDir, repoRoot, shippedBootstraps } from "./shipped.ts";

/** Every filter snippet (filters/<name>/envoy.yaml) besides the bootstraps in envoy-configs/. */
function envoyConfigFiles(): string[] {
  const filtersDir = join(repoRoot, "filters");
  const snippets = readdirSync(filtersDir)
    .map((name) => join(filtersDir, name, "envoy.yaml"))
    .filter((path) => { try { readFileSync(path); return true; } catch { return false; } });
  return [...shippedBootstraps(), ...snippets];
}

/** Plugin-configuration fields whose value is a filter-state key. */
const KEY_FIELDS = new Set(["peerPrincipalFilterState"]);
const KEY_OBJECTS = new Set(["peerFilterState"]);

function keysInPluginConfig(json: unknown, found: string[]): void {
  if (json === null || typeof json !== "object") return;
  for (const [field, value] of Object.entries(json)) {
    if (KEY_FIELDS.has(field) && typeof value === "string" && value !== "") found.push(value);
    else if (KEY_OBJECTS.has(field) && value !== null && typeof value === "object") {
      for (const v of Object.values(value)) if (typeof v === "string" && v !== "") found.push(v);
    } else keysInPluginConfig(value, found);
  }
}

/** Filter-state keys a parsed config names: %FILTER_STATE(key…)%, set_filter_state object_key, plugin configuration. */
function filterStateKeysIn(node: unknown, found: string[] = []): string[] {
  if (typeof node === "string") {
    for (const m of node.matchAll(/%FILTER_STATE\(([^:)]+)/g)) found.push(m[1]);
    const text = node.trim();
    if (text.startsWith("{")) {
      try { keysInPluginConfig(JSON.parse(text), found); } catch { /* not JSON: not a plugin configuration */ }
    }
  } else if (Array.isArray(node)) {
    for (const item of node) filterStateKeysIn(item, found);
  } else if (node !== null && typeof node === "object") {
    for (const [field, value] of Object.entries(node)) {
      if (field === "object_key" && typeof value === "string") found.push(value);
      else filterStateKeysIn(value, found);
    }
  }
  return found;
}

describe("filter-state keys in the Envoy configs", () => {
  it("finds keys of every kind the configs use", () => {
    const ztunnel = filterStateKeysIn(parseYaml(readFileSync(join(configDir, "ztunnel.yaml"), "utf8")));
    expect(ztunnel).toContain(HBONE_AUTHORITY);
    const waypoint = filterStateKeysIn(parseYaml(readFileSync(join(configDir, "waypoint.yaml"), "utf8")));
    expect(waypoint).toContain(ISTIO_PEER_PRINCIPAL);
    expect(waypoint).toContain(DOWNSTREAM_BAGGAGE);
    expect(filterStateKeysIn({ a: ['{"peerFilterState": {"route": "x.y"}}', { object_key: "k" }] })).toEqual(["x.y", "k"]);
  });

  for (const file of envoyConfigFiles()) {
    it(`${file.slice(repoRoot.length + 1)} names only keys of lib/filter-state-keys.ts`, () => {
      const keys = filterStateKeysIn(parseYaml(readFileSync(file, "utf8")));
      const unknown = keys.filter((k) => !FILTER_STATE_KEYS.includes(k));
      expect(unknown).toEqual([]);
    });
  }
});
