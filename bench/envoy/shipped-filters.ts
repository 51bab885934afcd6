// The Wasm filter entries of the shipped bootstraps, taken as they ship (root id, VM, module, configuration), so a
// bench case measures the configuration users deploy. The ztunnel config names the demo's pod addresses
// 10.77.x.y; the bench runs on loopback, so those are moved to 127.77.x.y (also local on Linux's `lo`).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { repoRoot } from "../../envoy/provision.ts";

export type FilterEntry = { name: string; typed_config: Record<string, unknown> };

/** Where the demo's addresses land on loopback. */
export function toLoopback(text: string): string {
  return text.replace(/\b10\.77\.(\d+)\.(\d+)\b/g, "127.77.$1.$2");
}

function walk(node: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) for (const n of node) walk(n, visit);
  else if (node && typeof node === "object") {
    visit(node as Record<string, unknown>);
    for (const v of Object.values(node)) walk(v, visit);
  }
}

/**
 * The first filter entry in `envoy-configs/<file>` (or, for a path with a folder, that file of the repository) whose
 * Wasm plugin has this root id (and this plugin name).
 */
export function shippedWasmFilter(file: string, rootId: string, pluginName?: string): FilterEntry {
  const text = toLoopback(readFileSync(join(repoRoot, file.includes("/") ? file : join("envoy-configs", file)), "utf8"));
  const doc = parse(text, { maxAliasCount: 1000 }) as unknown;
  let found: FilterEntry | undefined;
  walk(doc, (o) => {
    const tc = o.typed_config as { config?: { root_id?: string; name?: string } } | undefined;
    if (!found && typeof o.name === "string" && tc?.config?.root_id === rootId && (pluginName === undefined || tc.config.name === pluginName)) {
      found = structuredClone({ name: o.name, typed_config: o.typed_config as Record<string, unknown> });
    }
  });
  if (!found) throw new Error(`envoy-configs/${file} has no Wasm filter with root_id ${rootId}${pluginName ? ` named ${pluginName}` : ""}`);
  return found;
}

/** The plugin configuration JSON of a shipped Wasm filter entry. */
export function pluginConfiguration(entry: FilterEntry): Record<string, unknown> {
  const config = (entry.typed_config.config as { configuration?: { value?: string } }).configuration;
  return JSON.parse(config?.value ?? "{}") as Record<string, unknown>;
}
