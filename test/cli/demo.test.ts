// `ambient-wasm demo` (npm start): the decisions, CONNECT requests and Prometheus lines the shipped ztunnel config
// produces for the sample connections, and that they come from that config.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { command, runDemo } from "../../cli/demo.ts";
import type { ConnectionResult, DemoResult } from "../../cli/demo/simulate.ts";
import { buildShippedModules, configDir } from "../envoy-configs/shipped.ts";

const ZTUNNEL = join(configDir, "ztunnel.yaml");
const SLEEP = "spiffe://cluster.local/ns/client/sa/sleep";
const INTRUDER = "spiffe://cluster.local/ns/other/sa/intruder";
const HTTPBIN = "spiffe://cluster.local/ns/server/sa/httpbin";
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/;
const ALLOW_SLEEP = "ns[server]-policy[allow-sleep]-rule[0]";

let demo: DemoResult;
beforeAll(async () => {
  await buildShippedModules();
  demo = await runDemo();
});
afterEach(() => vi.restoreAllMocks());

const byTitle = (title: string): ConnectionResult => {
  const c = demo.connections.find((r) => r.title.startsWith(title));
  if (!c) throw new Error(`no demo connection "${title}"`);
  return c;
};

/** Prometheus sample lines of a node whose name and labels include all of `labels`. */
function samples(node: string, metric: string, labels: Record<string, string>): string[] {
  const lines = demo.prometheus.find((p) => p.node === node)!.lines;
  return lines.filter((l) => l.startsWith(metric + "{") && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
}

describe("demo: connections through node-a's outbound listener and node-b's HBONE terminate", () => {
  it("client/sleep → httpbin service: HBONE tunnel with ztunnel's CONNECT, allowed by the allow-sleep policy", () => {
    const c = byTitle("client/sleep calls the httpbin service");
    expect(c.outbound).toMatchObject({
      listener: "ztunnel_outbound", route: "hbone", cluster: "hbone_originate_client_sleep", dial: "10.77.0.20:15008",
      tunnelled: true, expectedPeer: HTTPBIN, clientIdentity: SLEEP,
    });
    expect(c.connect!.authority).toBe("10.77.0.20:80");
    expect(Object.fromEntries(c.connect!.headers)).toEqual({
      baggage: "k8s.cluster.name=Kubernetes,k8s.namespace.name=client,k8s.deployment.name=sleep,service.name=sleep,service.version=v1",
      forwarded: 'for="10.77.1.10:40001";host=httpbin.server.svc.cluster.local',
      traceparent: expect.stringMatching(TRACEPARENT),
    });
    expect(c.inbound).toMatchObject({ chain: "hbone_server_httpbin", peer: SLEEP, status: 200, upstream: "10.77.0.20:80", rbac: { action: "allowed", policy: ALLOW_SLEEP } });
    expect(c.outcome).toBe("allowed");
  });

  it("other/intruder → httpbin service: tunnelled with intruder's certificate and denied with 401", () => {
    const c = byTitle("other/intruder calls the httpbin service");
    expect(c.outbound).toMatchObject({ cluster: "hbone_originate_other_intruder", clientIdentity: INTRUDER, dial: "10.77.0.20:15008" });
    expect(c.connect!.authority).toBe("10.77.0.20:80");
    expect(c.inbound).toMatchObject({ peer: INTRUDER, status: 401, upstream: null, rbac: { action: "denied", policy: "none" } });
    expect(c.outcome).toBe("denied");
  });

  it("client/sleep → httpbin pod address: workload-addressed tunnel, no service in forwarded", () => {
    const c = byTitle("client/sleep calls the httpbin pod directly");
    expect(c.connect!.authority).toBe("10.77.0.20:80");
    expect(Object.fromEntries(c.connect!.headers).forwarded).toBe('for="10.77.1.10:40003"');
    expect(c.outcome).toBe("allowed");
  });

  it("an unexposed service port and an unknown source are blackholed on node-a; nothing reaches node-b", () => {
    for (const title of ["client/sleep calls a port the service does not expose", "an unknown source calls the httpbin service"]) {
      const c = byTitle(title);
      expect(c.outbound).toMatchObject({ route: "blackhole", cluster: "BlackHoleCluster" });
      expect(c.connect).toBeNull();
      expect(c.inbound).toBeNull();
      expect(c.outcome).toBe("blackholed");
    }
  });

  it("a destination outside the mesh is passed through as plain TCP without a CONNECT", () => {
    const c = byTitle("client/sleep calls an address outside the mesh");
    expect(c.outbound).toMatchObject({ route: "passthrough", cluster: "PassthroughCluster", dial: "198.51.100.7:443", tunnelled: false });
    expect(c.connect).toBeNull();
    expect(c.outcome).toBe("passthrough");
  });

  it("forged baggage does not make intruder sleep: the certificate decides", () => {
    const c = byTitle("other/intruder sends its own CONNECT");
    expect(c.inbound).toMatchObject({ peer: INTRUDER, status: 401, rbac: { action: "denied" } });
    expect(c.outcome).toBe("denied");
    // Labels come from the table entry of the TCP peer (tableThenBaggage), the principal from the certificate.
    expect(samples("node-b", "istio_tcp_connections_closed_total", { source_workload: "sleep", source_principal: INTRUDER })).toEqual([]);
  });
});

describe("demo: Prometheus lines", () => {
  it("node-b reports the two allowed tunnels and the two DENY closes with the peers' principals", () => {
    expect(samples("node-b", "istio_tcp_connections_closed_total", { reporter: "destination", source_principal: SLEEP, response_flags: "-" })).toEqual([
      expect.stringMatching(/connection_security_policy="mutual_tls".* 2$/),
    ]);
    expect(samples("node-b", "istio_tcp_connections_closed_total", { source_workload: "intruder", source_principal: INTRUDER, response_flags: "DENY" })).toEqual([
      expect.stringMatching(/ 2$/),
    ]);
    expect(samples("node-b", "istio_tcp_received_bytes_total", { source_principal: SLEEP, response_flags: "-" })).toEqual([expect.stringMatching(/ 140$/)]);
    const lines = demo.prometheus.find((p) => p.node === "node-b")!.lines;
    expect(lines).toContain("identity_rbac_connect_allowed{} 2");
    expect(lines).toContain("identity_rbac_connect_denied{} 2");
  });

  it("node-a reports source-side TCP metrics naming the destination service", () => {
    const opened = samples("node-a", "istio_tcp_connections_opened_total", {
      reporter: "source", source_workload: "sleep", destination_workload: "httpbin", destination_service: "httpbin.server.svc.cluster.local",
    });
    expect(opened).toEqual([expect.stringMatching(/ 1$/)]);
    expect(samples("node-a", "istio_tcp_connections_closed_total", { source_workload: "intruder", response_flags: "UF,URX" })).toEqual([expect.stringMatching(/ 1$/)]);
    // Blackholed connections: the source workload when the table knows it (Istio labels passthrough/blackhole
    // traffic with the source and the cluster name), no source principal (no mTLS), one series per source.
    expect(samples("node-a", "istio_tcp_connections_closed_total", { response_flags: "UH" })).toHaveLength(2);
    expect(samples("node-a", "istio_tcp_connections_closed_total", {
      response_flags: "UH", source_workload: "sleep", source_principal: "unknown", destination_service_name: "BlackHoleCluster",
    })).toEqual([expect.stringMatching(/ 1$/)]);
    expect(samples("node-a", "istio_tcp_connections_closed_total", {
      response_flags: "UH", source_workload: "unknown", destination_service_name: "BlackHoleCluster",
    })).toEqual([expect.stringMatching(/ 1$/)]);
  });

  it("node-a names the tunnelled source's identity, and labels passthrough with the source and PassthroughCluster", () => {
    expect(samples("node-a", "istio_tcp_connections_opened_total", {
      reporter: "source", source_workload: "sleep", source_principal: SLEEP, destination_service: "httpbin.server.svc.cluster.local",
    })).toEqual([expect.stringMatching(/ 1$/)]);
    expect(samples("node-a", "istio_tcp_connections_opened_total", { reporter: "source", source_workload: "intruder", source_principal: INTRUDER })
      .filter((l) => !l.endsWith(" 0"))).toEqual([expect.stringMatching(/ 1$/)]);
    expect(samples("node-a", "istio_tcp_connections_opened_total", {
      reporter: "source", source_workload: "sleep", source_principal: "unknown", destination_service: "unknown",
      destination_service_name: "PassthroughCluster",
    })).toEqual([expect.stringMatching(/ 1$/)]);
    const outbound = demo.prometheus.find((p) => p.node === "node-a")!.lines.filter((l) => l.includes('reporter="source"'));
    expect(outbound.some((l) => /source_principal="unknown".*destination_service_name="httpbin"/.test(l))).toBe(false);
  });

  it("every line is Prometheus text: a # TYPE line or name{labels} value", () => {
    for (const node of demo.prometheus) {
      expect(node.lines.length).toBeGreaterThan(0);
      for (const l of node.lines) expect(l).toMatch(/^(# TYPE [a-z_]+ (counter|gauge|histogram)|[a-z_]+\{.*\} \d+)$/);
    }
  });
});

describe("demo: the plugin configurations come from envoy-configs/ztunnel.yaml", () => {
  it("allowing intruder in the shipped policy flips its decision", async () => {
    const original = readFileSync(ZTUNNEL, "utf8");
    const needle = '"principals": ["cluster.local/ns/client/sa/sleep"]';
    expect(original.split(needle)).toHaveLength(2);
    const dir = mkdtempSync(join(tmpdir(), "demo-"));
    const file = join(dir, "ztunnel.yaml");
    writeFileSync(file, original.replace(needle, '"principals": ["cluster.local/ns/client/sa/sleep", "cluster.local/ns/other/sa/intruder"]'));
    const changed = await runDemo(file);
    expect(changed.connections.find((c) => c.title.startsWith("other/intruder calls the httpbin service"))!.outcome).toBe("allowed");
  });

  it("turning off a CONNECT header in hbone-outbound's configuration removes it from the request", async () => {
    const original = readFileSync(ZTUNNEL, "utf8");
    const needle = '"forwarded": true';
    expect(original.split(needle)).toHaveLength(2);
    const dir = mkdtempSync(join(tmpdir(), "demo-"));
    const file = join(dir, "ztunnel.yaml");
    writeFileSync(file, original.replace(needle, '"forwarded": false'));
    const changed = await runDemo(file);
    const headers = changed.connections[0].connect!.headers.map(([k]) => k);
    expect(headers).toEqual(["baggage", "traceparent"]);
  });
});

describe("demo command", () => {
  it("prints the decisions and the Prometheus lines (exit 0)", async () => {
    const out: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: string) => void out.push(s));
    expect(await command([])).toBe(0);
    const text = out.join("\n");
    expect(text).toContain("CONNECT 10.77.0.20:80 (HTTP/2)");
    expect(text).toContain(`identity-rbac allowed (policy ${ALLOW_SLEEP}) → 200, upstream 10.77.0.20:80`);
    expect(text).toContain("identity-rbac denied (policy none) → 401");
    expect(text).toMatch(/node-b \/stats\/prometheus/);
    expect(text).toContain("identity_rbac_connect_denied{} 2");
  });

  it("--json prints the same result as JSON", async () => {
    const out: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: string) => void out.push(s));
    expect(await command(["--json"])).toBe(0);
    const parsed = JSON.parse(out.join("\n")) as DemoResult;
    expect(parsed.connections.map((c) => c.outcome)).toEqual(["allowed", "denied", "allowed", "blackholed", "blackholed", "passthrough", "denied"]);
  });

  it("exits 2 on a bad argument and 1 with the file name on an unreadable config", async () => {
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((s: string) => void err.push(s));
    expect(await command(["--bogus"])).toBe(2);
    expect(await command(["--config", "/nonexistent/ztunnel.yaml"])).toBe(1);
    expect(err.join("\n")).toContain("/nonexistent/ztunnel.yaml");
  });
});
