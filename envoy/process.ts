// Runs a real Envoy: `--mode validate` on a bootstrap, or a server process with its admin endpoint, optionally
// inside a network namespace (`ip netns exec`). Used by the e2e suite, the benchmarks, the demo and `run --envoy`.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Envoy } from "./provision.ts";

export interface ValidateResult {
  ok: boolean;
  /** Envoy's own words: the last lines it printed. */
  output: string;
}

/** `envoy --mode validate -c <file>`; relative paths inside the config resolve against `cwd`. */
export function validateBootstrap(envoy: Envoy, configPath: string, cwd: string): ValidateResult {
  const r = spawnSync(envoy.path, ["--mode", "validate", "-c", configPath, "--log-level", "error", "--disable-hot-restart"], {
    cwd,
    encoding: "utf8",
    timeout: 120_000,
  });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
  return { ok: r.status === 0 && /OK\s*$/.test(output), output };
}

export interface StartOptions {
  envoy: Envoy;
  /** Bootstrap YAML text (written to a temporary file) or the path of one. */
  config: { yaml: string } | { path: string };
  cwd: string;
  /** Run inside this network namespace (needs root). */
  netns?: string;
  /** Run as this uid (e.g. so iptables can exclude Envoy's own traffic by owner). */
  uid?: number;
  concurrency?: number;
  logLevel?: string;
  /** e.g. "wasm:debug,connection:info" */
  componentLogLevel?: string;
  /** Admin address as seen from inside the process's namespace, "127.0.0.1:15000"; read from the config if unset. */
  admin?: string;
  readyTimeoutMs?: number;
  /** Further command-line options, e.g. ["--file-flush-interval-msec", "100"]. */
  extraArgs?: string[];
}

export interface EnvoyProcess {
  child: ChildProcess;
  admin: string;
  /** Everything Envoy logged so far. */
  log(): string;
  /** GET on the admin endpoint (through the namespace when there is one). */
  adminGet(path: string): Promise<string>;
  stop(): Promise<void>;
}

function adminFromConfig(yamlText: string): string {
  const m = /admin:[\s\S]*?socket_address:\s*\{?\s*address:\s*([0-9.:a-fA-F\[\]]+)\s*,?\s*port_value:\s*(\d+)/.exec(yamlText);
  if (!m) throw new Error("the bootstrap has no admin socket_address; pass `admin`");
  return `${m[1]}:${m[2]}`;
}

export function inNamespace(netns: string | undefined, argv: string[]): string[] {
  return netns ? ["ip", "netns", "exec", netns, ...argv] : argv;
}

/** HTTP GET through curl (so it works inside a namespace), body as text; throws on a non-2xx answer. */
export function curlGet(url: string, netns?: string, timeoutS = 10): Promise<string> {
  const argv = inNamespace(netns, ["curl", "-sS", "--fail-with-body", "--max-time", String(timeoutS), url]);
  return new Promise((resolveBody, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolveBody(out) : reject(new Error(`GET ${url}: curl exit ${code}: ${err}${out}`))));
  });
}

export async function startEnvoy(options: StartOptions): Promise<EnvoyProcess> {
  let path: string;
  let yamlText: string;
  if ("yaml" in options.config) {
    const dir = mkdtempSync(join(tmpdir(), "ambient-wasm-envoy-"));
    // Readable by an unprivileged Envoy (options.uid) too.
    chmodSync(dir, 0o755);
    path = join(dir, "envoy.yaml");
    writeFileSync(path, options.config.yaml, { mode: 0o644 });
    yamlText = options.config.yaml;
  } else {
    path = options.config.path;
    yamlText = readFileSync(path, "utf8");
  }
  const admin = options.admin ?? adminFromConfig(yamlText);
  const args = [
    options.envoy.path, "-c", path, "--disable-hot-restart",
    "--concurrency", String(options.concurrency ?? 1),
    "--log-level", options.logLevel ?? "info",
  ];
  if (options.componentLogLevel) args.push("--component-log-level", options.componentLogLevel);
  args.push(...(options.extraArgs ?? []));
  // `ip netns exec` needs root, so the uid is dropped inside the namespace, right before Envoy starts.
  const asUser = options.uid === undefined
    ? args
    : ["setpriv", `--reuid=${options.uid}`, `--regid=${options.uid}`, "--clear-groups", "--", ...args];
  const argv = inNamespace(options.netns, asUser);
  const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  let exited: number | null = null;
  const exit = new Promise<void>((resolveExit) => child.on("close", (code) => ((exited = code ?? -1), resolveExit())));
  const adminGet = (p: string) => curlGet(`http://${admin}${p}`, options.netns);
  const proc: EnvoyProcess = {
    child,
    admin,
    log: () => log,
    adminGet,
    async stop() {
      if (exited === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exit;
        clearTimeout(timer);
      }
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== null) throw new Error(`Envoy exited with ${exited} before it was ready:\n${tail(log)}`);
    try {
      if ((await adminGet("/ready")).trim() === "LIVE") return proc;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`Envoy was not ready within ${options.readyTimeoutMs ?? 30_000} ms:\n${tail(log)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tail(text: string, lines = 40): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}
