// Real applications and clients inside a node's namespace: the app servers of app-server.ts (one process per
// node), curl, and the Node clients of app-client.ts.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../provision.ts";
import type { ClientRequest, ClientResult } from "./app-client.ts";
import type { AppSpec, Received } from "./app-server.ts";
import type { Node } from "./net.ts";

export type { AppSpec, ClientRequest, ClientResult, Received };

const tsx = ["node", "--import", "tsx"];

export interface Apps {
  /** Every request/connection the apps recorded so far. */
  received(): Received[];
  /** Waits until a record matching `pred` appears. */
  waitFor(pred: (r: Received) => boolean, timeoutMs?: number): Promise<Received>;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    child.on("close", () => resolveStop());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 3000).unref();
  });
}

/** Starts the app servers of `spec` in the node's namespace; resolves once every port listens. */
export function startApps(node: Node, spec: AppSpec, uid?: number): Promise<Apps> {
  const program = [...tsx, join(repoRoot, "envoy/mesh/app-server.ts"), JSON.stringify(spec)];
  const argv = node.argv(uid === undefined ? program : ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--", ...program]);
  const child = spawn(argv[0], argv.slice(1), { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  const records: Received[] = [];
  const waiters: Array<() => void> = [];
  const expected = ["http1", "http2", "grpc", "echo", "https"].filter((k) => spec[k as keyof AppSpec] !== undefined);
  const listening = new Set<string>();
  let buffer = "";
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const apps: Apps = {
    received: () => [...records],
    waitFor(pred, timeoutMs = 5000) {
      return new Promise((resolveWait, reject) => {
        const check = () => {
          const hit = records.find(pred);
          if (hit) {
            clearTimeout(timer);
            resolveWait(hit);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => reject(new Error(`no matching app record within ${timeoutMs} ms; got ${JSON.stringify(records)}`)), timeoutMs);
        if (!check()) waiters.push(() => void check());
      });
    },
    stop: () => stopChild(child),
  };
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`apps did not listen within 20 s: ${stderr}`)), 20_000);
    child.on("close", (code) => reject(new Error(`apps exited with ${code}: ${stderr}`)));
    child.stdout!.on("data", (d) => {
      buffer += d;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const msg = JSON.parse(line) as Received | { listening: string };
        if ("listening" in msg) {
          listening.add(msg.listening);
          if (expected.every((k) => listening.has(k))) {
            clearTimeout(timer);
            resolveStart(apps);
          }
        } else {
          records.push(msg);
          waiters.splice(0).forEach((w) => w());
        }
      }
    });
  });
}

export interface CurlResult {
  exitCode: number;
  /** HTTP status (0 when there was no HTTP answer). */
  status: number;
  body: string;
  stderr: string;
  /** The client's local port of the (last) connection, as curl reports it; 0 when there was none. */
  localPort: number;
}

function collect(argv: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => (clearTimeout(timer), resolveRun({ code: code ?? -1, stdout, stderr })));
  });
}

/** curl inside the node's namespace; `args` are curl options and the URL. The status is read with -w. */
export async function curl(node: Node, args: string[], timeoutS = 5): Promise<CurlResult> {
  const marker = "\n--aw-status:";
  const r = await collect(node.argv(["curl", "-sS", "--max-time", String(timeoutS), "-w", `${marker}%{http_code} %{local_port}`, ...args]), (timeoutS + 5) * 1000);
  const at = r.stdout.lastIndexOf(marker);
  const [status, localPort] = at >= 0 ? r.stdout.slice(at + marker.length).split(" ").map(Number) : [0, 0];
  return {
    exitCode: r.code,
    status,
    localPort: localPort || 0,
    body: at >= 0 ? r.stdout.slice(0, at) : r.stdout,
    stderr: r.stderr,
  };
}

/** One Node client request (app-client.ts) inside the node's namespace. */
export async function nodeClient(node: Node, req: ClientRequest): Promise<ClientResult> {
  const r = await collect(node.argv([...tsx, join(repoRoot, "envoy/mesh/app-client.ts"), JSON.stringify(req)]), 20_000);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as ClientResult;
  } catch {
    throw new Error(`app-client printed no result (exit ${r.code}): ${r.stdout}${r.stderr}`);
  }
}
