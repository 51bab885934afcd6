// Load generators: h2load (Debian's nghttp2-client) for HTTP/1.1 and HTTP/2 requests, pinned to one core with
// taskset; a Node TCP stream for MB/s through a tunnel.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Protocol } from "./topology.ts";

export interface H2loadOptions {
  url: string;
  protocol: Protocol;
  /** Run for this long (requests cut off at the end are lost), or send exactly `requests` and wait for every answer. */
  durationS?: number;
  requests?: number;
  clients: number;
  /** Requests per second per client (`--rps`); unlimited when unset. */
  rpsPerClient?: number;
  /** Concurrent streams per HTTP/2 connection. */
  streams?: number;
  /** POST this many bytes per request (GET when 0). */
  bodyBytes: number;
  /** Paths to spread over the clients (h2load's multiple URIs, round robin). */
  paths?: string[];
  cpu?: number;
  /** Run h2load inside this network namespace. */
  netns?: string;
  /** Extra request headers ("Connection: close" makes every HTTP/1.1 request a new connection). */
  headers?: string[];
}

export interface H2loadResult {
  /** Requests h2load started, and what came back. */
  started: number;
  done: number;
  succeeded: number;
  failed: number;
  errored: number;
  status: { "2xx": number; "3xx": number; "4xx": number; "5xx": number };
  rps: number;
  /** Per-request latency in microseconds, from h2load's --log-file. */
  latencyUs: number[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function parseH2load(stdout: string): Omit<H2loadResult, "latencyUs"> {
  const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
  const rps = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(stdout);
  if (!req || !codes || !rps) throw new Error(`h2load printed no summary:\n${stdout}`);
  return {
    started: Number(req[2]),
    done: Number(req[3]),
    succeeded: Number(req[4]),
    failed: Number(req[5]),
    errored: Number(req[6]),
    status: { "2xx": Number(codes[1]), "3xx": Number(codes[2]), "4xx": Number(codes[3]), "5xx": Number(codes[4]) },
    rps: Number(rps[1]),
  };
}

export function runH2load(o: H2loadOptions): Promise<H2loadResult> {
  const dir = mkdtempSync(join(tmpdir(), "aw-h2load-"));
  const log = join(dir, "requests.log");
  const args = [...(o.requests !== undefined ? ["-n", String(o.requests)] : ["-D", String(o.durationS)]), "-c", String(o.clients), "-t", "1", "--log-file", log];
  if (o.requests === undefined) args.push("--warm-up-time", "0");
  if (o.protocol === "h1") args.push("--h1");
  else args.push("-m", String(o.streams ?? 10));
  if (o.rpsPerClient) args.push("--rps", String(o.rpsPerClient));
  for (const h of o.headers ?? []) args.push("-H", h);
  if (o.bodyBytes > 0) {
    const body = join(dir, "body");
    writeFileSync(body, Buffer.alloc(o.bodyBytes, "b"));
    args.push("-d", body);
  }
  const base = o.url.replace(/\/$/, "");
  args.push(...(o.paths ?? ["/"]).map((p) => base + p));
  const pinned = o.cpu === undefined ? ["h2load", ...args] : ["taskset", "-c", String(o.cpu), "h2load", ...args];
  const argv = o.netns ? ["ip", "netns", "exec", o.netns, ...pinned] : pinned;
  return new Promise((resolveRun, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        if (code !== 0) throw new Error(`h2load exited with ${code}:\n${out}`);
        const summary = parseH2load(out);
        // One line per request: start time (µs since epoch), status, elapsed µs.
        const latencyUs = readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => Number(l.split("\t")[2])).filter((n) => Number.isFinite(n));
        resolveRun({ ...summary, latencyUs: latencyUs.sort((a, b) => a - b) });
      } catch (e) {
        reject(e);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** Counts what arrives; the far end of a stream run. */
export async function startSink(host: string, port: number): Promise<{ received(): number; stop(): Promise<void>; server: Server }> {
  let received = 0;
  const server = createServer((s) => {
    s.on("data", (d: Buffer) => (received += d.length));
    s.on("error", () => {});
  });
  await new Promise<void>((r, j) => server.once("error", j).listen(port, host, () => r()));
  return { server, received: () => received, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

/** One TCP connection writing as fast as the path takes it for `durationS`; bytes written. */
export function streamFor(host: string, port: number, durationS: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, "s");
  return new Promise((resolveStream, reject) => {
    let sent = 0;
    let stopped = false;
    const socket = connect(port, host);
    const pump = () => {
      while (!stopped && socket.write(chunk)) sent += chunk.length;
      if (!stopped) sent += chunk.length; // the chunk that filled the buffer is queued too
    };
    socket.on("connect", () => {
      setTimeout(() => {
        stopped = true;
        socket.end(() => resolveStream(sent));
      }, durationS * 1000);
      pump();
    });
    socket.on("drain", pump);
    socket.on("error", reject);
  });
}

/**
 * `total` connections at `perSecond`, each carrying one HTTP/1.1 POST with `Connection: close` and read to its end;
 * how many were answered 200. (h2load reuses a connection the far end is closing now and then, so it is not used
 * for this.)
 */
export async function connectionRate(host: string, port: number, total: number, perSecond: number, bodyBytes: number): Promise<{ answered200: number; failed: number }> {
  const body = Buffer.alloc(bodyBytes, "b");
  const request = Buffer.concat([
    Buffer.from(`POST / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\nContent-Length: ${bodyBytes}\r\n\r\n`),
    body,
  ]);
  const one = () => new Promise<boolean>((resolveOne) => {
    const socket = connect(port, host);
    let head = "";
    socket.on("connect", () => socket.write(request));
    socket.on("data", (d: Buffer) => {
      if (head.length < 16) head += d.toString("latin1", 0, Math.min(d.length, 16));
    });
    socket.on("error", () => resolveOne(false));
    socket.on("close", () => resolveOne(head.startsWith("HTTP/1.1 200")));
  });
  const started: Promise<boolean>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    started.push(one());
  }
  const results = await Promise.all(started);
  const answered200 = results.filter(Boolean).length;
  return { answered200, failed: total - answered200 };
}
