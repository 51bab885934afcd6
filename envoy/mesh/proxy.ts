// A shipped config running in real Envoy inside a node: deployed (deploy.ts), started as the proxy user so the
// capture rules let its own traffic through, with helpers to read its JSON access log lines and its real
// /stats/prometheus.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startEnvoy, type EnvoyProcess } from "../process.ts";
import { repoRoot, type Envoy } from "../provision.ts";
import { deployConfig, type DeployParams } from "./deploy.ts";
import { run, type Node } from "./net.ts";

/** The uid Envoy runs as, excluded from outbound capture (Istio's proxy uid). */
export const PROXY_UID = 1337;

export interface MeshProxy {
  node: Node;
  process: EnvoyProcess;
  /** JSON access-log lines (the shipped configs log with `log: <listener>`), optionally only one listener's. */
  accessLog(listener?: string): Array<Record<string, string>>;
  /**
   * Waits for `count` access-log lines of a listener (written when a connection or stream ends; default timeout 15 s).
   */
  waitForAccessLog(listener: string, count: number, timeoutMs?: number): Promise<Array<Record<string, string>>>;
  /** Waits for the first access-log line of a listener that matches `pred`. */
  waitForLog(listener: string, pred: (r: Record<string, string>) => boolean, timeoutMs?: number): Promise<Record<string, string>>;
  /** The sample lines of the real /stats/prometheus (no comments). */
  prometheus(): Promise<string[]>;
  stop(): Promise<void>;
}

export interface StartProxyOptions {
  envoy: Envoy;
  node: Node;
  /** A shipped config, relative to the repository root ("envoy-configs/ztunnel.yaml"). */
  config: string;
  deploy?: DeployParams;
  logLevel?: string;
  /** Worker threads (default 1; the benchmarks run 2, as Istio's published figures do). */
  concurrency?: number;
  componentLogLevel?: string;
}

export function parseAccessLog(output: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const line of output.split("\n")) {
    const at = line.indexOf('{"');
    if (at < 0) continue;
    try {
      const rec = JSON.parse(line.slice(at)) as Record<string, string>;
      if (typeof rec.log === "string") out.push(rec);
    } catch {
      // an Envoy log line that merely contains a brace
    }
  }
  return out;
}

export async function startProxy(options: StartProxyOptions): Promise<MeshProxy> {
  const yaml = deployConfig(readFileSync(join(repoRoot, options.config), "utf8"), options.deploy ?? {});
  const process = await startEnvoy({
    envoy: options.envoy,
    config: { yaml },
    cwd: repoRoot,
    netns: options.node.ns,
    uid: PROXY_UID,
    concurrency: options.concurrency ?? 1,
    logLevel: options.logLevel ?? "warning",
    componentLogLevel: options.componentLogLevel,
    // Access logs (stdout) are flushed every 10 s by default; the tests and the demo read them right away.
    extraArgs: ["--file-flush-interval-msec", "100"],
  });
  const accessLog = (listener?: string) => parseAccessLog(process.log()).filter((r) => listener === undefined || r.log === listener);
  return {
    node: options.node,
    process,
    accessLog,
    async waitForLog(listener, pred, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = accessLog(listener).find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching ${listener} access-log line within ${timeoutMs} ms:\n${process.log().slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async waitForAccessLog(listener, count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lines = accessLog(listener);
        if (lines.length >= count) return lines;
        if (Date.now() > deadline) throw new Error(`${lines.length} of ${count} ${listener} access-log lines within ${timeoutMs} ms:\n${process.log().slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async prometheus() {
      return (await process.adminGet("/stats/prometheus")).split("\n").filter((l) => l && !l.startsWith("#"));
    },
    stop: () => process.stop(),
  };
}

/** Runs envoy-configs/capture.sh (the script shipped for users) inside the node. */
export function capture(node: Node, args: string[]): void {
  run(node.argv(["sh", join(repoRoot, "envoy-configs/capture.sh"), "--proxy-uid", String(PROXY_UID), ...args]));
}

/** Prometheus sample lines whose metric name starts with one of the prefixes. */
export function metricLines(lines: string[], ...prefixes: string[]): string[] {
  return lines.filter((l) => prefixes.some((p) => l.startsWith(p)));
}

/** Parses `name{a="x",…} value` into its parts (label order kept). */
export function parseSample(line: string): { name: string; labels: Array<[string, string]>; value: number } {
  const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
  if (!m) throw new Error(`not a Prometheus sample: ${line}`);
  const labels: Array<[string, string]> = [];
  for (const l of (m[2] ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels.push([l[1], l[2]]);
  return { name: m[1], labels, value: Number(m[3]) };
}
