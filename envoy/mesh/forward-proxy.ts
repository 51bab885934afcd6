// A real HTTP forward proxy from Debian — squid — inside a node, as the corporate proxy egress.yaml tunnels through.
// It logs one line per request with the method, the target and the headers the egress tests check, so the tests see
// exactly what the proxy received. Names are resolved from its own hosts file (the namespaces have no DNS).
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Node } from "./net.ts";

export interface ForwardProxyRequest {
  method: string;
  /** CONNECT target (host:port) or URL. */
  target: string;
  status: number;
  client: string;
  headers: Record<string, string>;
}

export interface ForwardProxy {
  /** What squid logged so far. */
  requests(): ForwardProxyRequest[];
  waitFor(pred: (r: ForwardProxyRequest) => boolean, timeoutMs?: number): Promise<ForwardProxyRequest>;
  stop(): Promise<void>;
}

/** The request headers logged (squid logformat %{Name}>h, URL-encoded by squid). */
export const LOGGED_HEADERS = ["Proxy-Authorization", "baggage", "forwarded", "traceparent", "x-forwarded-for", "Host"];

export async function startSquid(node: Node, listen: string, hosts: Record<string, string>): Promise<ForwardProxy> {
  const dir = mkdtempSync(join(tmpdir(), "aw-squid-"));
  chmodSync(dir, 0o777);
  const log = join(dir, "access.log");
  writeFileSync(join(dir, "hosts"), Object.entries(hosts).map(([name, ip]) => `${ip} ${name}\n`).join(""), { mode: 0o644 });
  const fields = LOGGED_HEADERS.map((h) => `%{${h}}>h`).join(" ");
  writeFileSync(join(dir, "squid.conf"), [
    `http_port ${listen}`,
    "http_access allow all",
    "cache deny all",
    `hosts_file ${join(dir, "hosts")}`,
    "dns_nameservers 127.0.0.1",
    `logformat e2e %rm %ru %>Hs %>a ${fields}`,
    `access_log stdio:${log} e2e`,
    `cache_log ${join(dir, "cache.log")}`,
    `pid_filename ${join(dir, "squid.pid")}`,
    `coredump_dir ${dir}`,
    "shutdown_lifetime 0 seconds",
    "buffered_logs off",
    "",
  ].join("\n"));
  const argv = node.argv(["squid", "-N", "-f", join(dir, "squid.conf")]);
  const child: ChildProcess = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const [host, port] = [listen.slice(0, listen.lastIndexOf(":")), listen.slice(listen.lastIndexOf(":") + 1)];
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`squid exited with ${child.exitCode}: ${output}\n${readIf(join(dir, "cache.log"))}`);
    const probe = spawn(node.argv(["bash", "-c", `exec 3<>/dev/tcp/${host}/${port}`])[0], node.argv(["bash", "-c", `exec 3<>/dev/tcp/${host}/${port}`]).slice(1));
    const ok = await new Promise<boolean>((r) => probe.on("close", (code) => r(code === 0)));
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`squid did not listen on ${listen}: ${readIf(join(dir, "cache.log"))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const requests = (): ForwardProxyRequest[] =>
    readIf(log).split("\n").filter(Boolean).map((line) => {
      const [method, target, status, client, ...values] = line.split(" ");
      const headers: Record<string, string> = {};
      LOGGED_HEADERS.forEach((h, i) => {
        const v = values[i];
        if (v !== undefined && v !== "-") headers[h.toLowerCase()] = decodeURIComponent(v);
      });
      return { method, target, status: Number(status), client, headers };
    });
  return {
    requests,
    async waitFor(pred, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = requests().find(pred);
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`squid logged no matching request within ${timeoutMs} ms: ${JSON.stringify(requests())}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => new Promise<void>((resolveStop) => {
      if (child.exitCode !== null) return resolveStop();
      child.on("close", () => resolveStop());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 3000).unref();
    }),
  };
}

function readIf(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}
