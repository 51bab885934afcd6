// The extensions an Envoy binary has registered, by category, as it lists them at startup ("statically linked
// extensions:" then one `  <category>: <name>, <name>` line each, envoyproxy/envoy:source/server/server.cc).
// `envoy --version` does not say; an `--mode init_only` start with an empty bootstrap does, binding nothing.
// Cached per Envoy build in build/envoy-extensions.json.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { repoRoot, type Envoy } from "./provision.ts";

export type ExtensionsByCategory = Record<string, string[]>;

const cacheFile = join(repoRoot, "build/envoy-extensions.json");

/** The category lines of Envoy's startup log. */
export function parseExtensionList(log: string): ExtensionsByCategory {
  const out: ExtensionsByCategory = {};
  let inList = false;
  for (const line of log.split("\n")) {
    if (line.includes("statically linked extensions:")) {
      inList = true;
      continue;
    }
    if (!inList) continue;
    const m = /\]\s{2,}([\w.]+): (.*)$/.exec(line);
    if (!m) {
      if (Object.keys(out).length > 0) break;
      continue;
    }
    out[m[1]] = m[2].split(",").map((s) => s.trim()).filter(Boolean);
  }
  return out;
}

/** Envoy's registered extensions (cached by its build line); throws when Envoy does not list them. */
export function registeredExtensions(envoy: Envoy): ExtensionsByCategory {
  if (existsSync(cacheFile)) {
    const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as { build: string; extensions: ExtensionsByCategory };
    if (cached.build === envoy.build) return cached.extensions;
  }
  const r = spawnSync(
    envoy.path,
    ["--mode", "init_only", "--config-yaml", "{}", "--log-level", "info", "--disable-hot-restart"],
    { encoding: "utf8", timeout: 60_000 },
  );
  const extensions = parseExtensionList(`${r.stdout ?? ""}${r.stderr ?? ""}`);
  if (Object.keys(extensions).length === 0) throw new Error(`${envoy.path} listed no extensions at startup (exit ${r.status})`);
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    writeFileSync(cacheFile, JSON.stringify({ build: envoy.build, extensions }, null, 1) + "\n");
  } catch {
    // A read-only install: the list is still right, only not cached.
  }
  return extensions;
}
