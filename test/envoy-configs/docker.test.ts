// The Docker demo (envoy-configs/docker-compose.yaml) end to end with real Envoys: client/sleep reaches httpbin
// through two ztunnels, other/intruder is refused, and node-b's /stats/prometheus shows both.
// Runs only where a Docker engine answers and the pinned Envoy image is present; otherwise the test reports itself
// SKIPPED with the reason (it never passes without running).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readZtunnelBootstrap } from "../../cli/demo/bootstrap.ts";
import { NODE_A_ADDRESS } from "../../cli/demo/scenarios.ts";
import { buildShippedModules, configDir, repoRoot } from "./shipped.ts";
import { newestPinned } from "../../envoy/provision.ts";

const COMPOSE_FILE = join(configDir, "docker-compose.yaml");
const PROJECT = "ambient-wasm-docker-test";
const IMAGE: string = (parse(readFileSync(COMPOSE_FILE, "utf8")) as { "x-envoy": { image: string } })["x-envoy"].image;

function run(cmd: string, args: string[], timeoutMs = 120_000): string {
  return execFileSync(cmd, args, { cwd: repoRoot, encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
}

/** Why the stack cannot run here, or null when it can. */
function unavailable(): string | null {
  try {
    run("docker", ["info", "--format", "{{.ServerVersion}}"], 20_000);
  } catch (e) {
    const detail = (e as NodeJS.ErrnoException).code === "ENOENT" ? "the docker CLI is not installed" : "`docker info` failed (no Docker engine reachable)";
    return detail;
  }
  try {
    run("docker", ["image", "inspect", IMAGE], 20_000);
  } catch {
    return `the pinned image ${IMAGE} is not present (docker pull ${IMAGE})`;
  }
  try {
    run("docker", ["compose", "version"], 20_000);
  } catch {
    return "the `docker compose` plugin is not installed";
  }
  return null;
}

const reason = unavailable();
if (reason) console.warn(`envoy-configs/docker-compose.yaml test SKIPPED: ${reason}`);

const compose = (...args: string[]) => run("docker", ["compose", "-f", COMPOSE_FILE, "-p", PROJECT, ...args], 300_000);

async function get(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: r.status, body: await r.text() };
}

/** Retries `get` until `ok` holds (Envoy needs a moment to load the Wasm modules), at most ~60 s. */
async function eventually(url: string, ok: (r: { status: number; body: string }) => boolean): Promise<{ status: number; body: string }> {
  let last: { status: number; body: string } | Error = new Error("not tried");
  for (let i = 0; i < 60; i++) {
    try {
      last = await get(url);
      if (ok(last)) return last;
    } catch (e) {
      last = e as Error;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`${url}: ${last instanceof Error ? last.message : `${last.status} ${last.body.slice(0, 200)}`}`);
}

describe("Docker demo (envoy-configs/docker-compose.yaml)", () => {
  let started = false;
  afterAll(() => {
    if (started) compose("down", "--volumes", "--remove-orphans");
  });

  it.skipIf(reason !== null)(`runs two ztunnels: sleep allowed, intruder denied, metrics on node-b${reason ? ` — SKIPPED: ${reason}` : ""}`, async (ctx) => {
    ctx.skip(reason !== null, reason ?? undefined);
    await buildShippedModules();
    if (!existsSync(join(configDir, "certs/root-cert.pem"))) run("npm", ["run", "certs"]);
    compose("up", "-d");
    started = true;

    const allowed = await eventually("http://127.0.0.1:18080/", (r) => r.status === 200);
    expect(allowed.body).toBe("hello from server/httpbin\n");

    // node-b answers intruder's CONNECT with 401; node-a's tcp_proxy closes the app connection, and the client app's
    // router turns that into a 503 local reply.
    const denied = await get("http://127.0.0.1:18081/");
    expect(denied.status).toBe(503);

    const stats = await eventually("http://127.0.0.1:15021/stats/prometheus", (r) => r.body.includes('response_flags="DENY"'));
    const lines = stats.body.split("\n");
    expect(lines.some((l) => l.startsWith("istio_tcp_connections_opened_total{") && l.includes('reporter="destination"') &&
      l.includes('source_principal="spiffe://cluster.local/ns/client/sa/sleep"') && l.includes('destination_workload="httpbin"'))).toBe(true);
    expect(lines.some((l) => l.startsWith("istio_tcp_connections_closed_total{") &&
      l.includes('source_principal="spiffe://cluster.local/ns/other/sa/intruder"') && l.includes('response_flags="DENY"') && / [1-9]\d*$/.test(l))).toBe(true);
    expect(lines.some((l) => /^identity_rbac_connect_denied\{\} [1-9]\d*$/.test(l))).toBe(true);
  });
});

// These run everywhere: the Compose file must agree with the configs it runs, or the stack could not work.
describe("docker-compose.yaml agrees with the configs it runs", () => {
  type Service = { image?: string; command?: string[]; networks?: Record<string, { ipv4_address: string }>; network_mode?: string; volumes?: string[] };
  const composeDoc = parse(readFileSync(COMPOSE_FILE, "utf8"), { merge: true }) as { services: Record<string, Service> };
  const services = composeDoc.services;
  const ztunnel = readZtunnelBootstrap(readFileSync(join(configDir, "ztunnel.yaml"), "utf8"));
  const outboundConfig = JSON.parse(String(ztunnel.outbound.filters.find((f) => f.name === "hbone-outbound")!.configuration)) as {
    workloads: Array<{ name: string; node: string; addresses: string[]; services?: Array<{ vips: string[]; ports: Array<{ port: number }> }> }>;
  };
  const workload = (name: string) => outboundConfig.workloads.find((w) => w.name === name)!;
  const ips = (service: string) => Object.values(services[service].networks ?? {}).map((n) => n.ipv4_address);

  it("pins the newest Envoy the suite runs (envoy/requirements/) for every container", () => {
    expect(IMAGE).toBe(`envoyproxy/envoy:v${newestPinned()}`);
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toBe(IMAGE);
      expect(s.volumes, name).toEqual(["..:/ambient-wasm:ro"]);
    }
  });

  it("node-a owns the addresses of the workloads ztunnel.yaml puts on node-a, and the service VIP", () => {
    for (const w of outboundConfig.workloads.filter((w) => w.node === "node-a")) {
      for (const a of w.addresses) expect(ips("ztunnel-node-a"), w.name).toContain(a);
    }
    expect(ips("ztunnel-node-a")).toContain(workload("httpbin").services![0].vips[0]);
    expect(ips("ztunnel-node-a")).toContain(NODE_A_ADDRESS);
  });

  it("node-b's address is httpbin's pod IP, the IP its HBONE filter chain matches", () => {
    expect(ips("ztunnel-node-b")).toEqual(workload("httpbin").addresses);
    expect(ztunnel.hbone.chains[0].prefixRanges).toEqual([[workload("httpbin").addresses[0], 32]]);
  });

  it("both nodes run ztunnel.yaml and the apps share their node's network namespace", () => {
    expect(services["ztunnel-node-a"].command).toContain("envoy-configs/ztunnel.yaml");
    expect(services["ztunnel-node-b"].command).toContain("envoy-configs/ztunnel.yaml");
    expect(services["client-app"].network_mode).toBe("service:ztunnel-node-a");
    expect(services["server-app"].network_mode).toBe("service:ztunnel-node-b");
  });

  it("the client app calls the VIP from sleep's and intruder's pod IPs, on the port node-a listens on", () => {
    const app = parse(readFileSync(join(configDir, "app-client.yaml"), "utf8")) as { static_resources: { clusters: Array<Record<string, any>> } };
    const clusters = Object.fromEntries(app.static_resources.clusters.map((c) => [c.name, c]));
    const vip = workload("httpbin").services![0];
    for (const [cluster, name] of [["httpbin_as_sleep", "sleep"], ["httpbin_as_intruder", "intruder"]]) {
      const c = clusters[cluster];
      expect(c.upstream_bind_config.source_address.address).toBe(workload(name).addresses[0]);
      expect(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: vip.vips[0], port_value: vip.ports[0].port });
    }
    expect(readFileSync(join(configDir, "ztunnel.yaml"), "utf8")).toContain(`socket_address: { address: 0.0.0.0, port_value: ${vip.ports[0].port} }`);
  });
});
