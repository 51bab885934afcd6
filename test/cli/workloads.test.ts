// `ambient-wasm workloads from-k8s`: the workload table from kubectl's YAML, checked entry by entry on a realistic
// dump (multi-port services, named target ports, headless and selector-less services, pods without IPs, host
// networking, several namespaces, a waypoint, a StatefulSet and a CronJob), every left-out part named, and the
// table loaded by the filters.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { readKubeObjects } from "../../cli/common/kube-documents.ts";
import { fromK8s } from "../../cli/workloads/from-k8s.ts";
import { verifyWorkloadTable } from "../../cli/workloads/verify.ts";
import type { WorkloadEntry } from "../../cli/workloads/table.ts";
import { Host } from "../../emulator/index.ts";
import { modulePath } from "../../modules/index.ts";
import { buildShippedModules } from "../envoy-configs/shipped.ts";

const repo = join(import.meta.dirname, "..", "..");
const fixture = "test/cli/fixtures/workloads/cluster.yaml";
const options = { trustDomain: "cluster.local", cluster: "Kubernetes", clusterDomain: "cluster.local" };

beforeAll(async () => {
  await buildShippedModules();
}, 300_000);

function convert(text: string) {
  const read = readKubeObjects("in.yaml", text);
  const r = fromK8s(read.objects, options);
  return { ...r, errors: [...read.errors, ...r.errors] };
}

describe("workloads from-k8s", () => {
  const r = fromK8s(readKubeObjects(fixture, readFileSync(join(repo, fixture), "utf8")).objects, options);
  const byName = (name: string) => r.workloads.find((w) => w.name === name)!;

  it("one entry per running pod with an IP, named and kinded as Istio names workloads", () => {
    expect(r.workloads.map((w) => `${w.namespace}/${w.name}:${w.kind}`)).toEqual([
      "client/sleep:deployment", "server/httpbin-v1:deployment", "server/db:pod", "server/report:cronjob", "shop/waypoint:deployment", "shop/cart-0:pod",
    ]);
  });

  it("addresses (dual stack), identity from the service account, canonical labels, enrolment, node", () => {
    expect(byName("sleep")).toEqual({
      name: "sleep", namespace: "client", kind: "deployment", addresses: ["10.244.1.10", "fd00:10:244:1::a"],
      identity: "spiffe://cluster.local/ns/client/sa/sleep", canonicalService: "sleep", canonicalRevision: "v1", version: "v1",
      cluster: "Kubernetes", hbone: true, node: "node-a",
    } satisfies WorkloadEntry);
    expect(byName("httpbin-v1").canonicalService).toBe("httpbin-canonical");
    expect(byName("db")).toMatchObject({ canonicalService: "db", canonicalRevision: "15", hbone: false }); // app.kubernetes.io labels; opted out
    expect(byName("report").identity).toBe("spiffe://cluster.local/ns/server/sa/default");
  });

  it("services: named target ports resolved per pod, UDP left out, headless services without VIPs", () => {
    expect(byName("httpbin-v1").services).toEqual([{
      hostname: "httpbin.server.svc.cluster.local", vips: ["10.96.0.20"],
      ports: [{ port: 8000, targetPort: 8080 }, { port: 9090, targetPort: 9091 }, { port: 9100, targetPort: 9100 }],
    }]);
    expect(byName("db").services).toEqual([{ hostname: "db.server.svc.cluster.local", vips: [], ports: [{ port: 5432, targetPort: 5432 }] }]);
    expect(byName("report").services).toBeUndefined();
  });

  it("a namespace's waypoint serves its services (not the waypoint's own), reached at its Service address", () => {
    const waypoint = { address: "10.96.5.1", port: 15008, identity: "spiffe://cluster.local/ns/shop/sa/waypoint" };
    expect(byName("cart-0").services![0].waypoint).toEqual(waypoint);
    expect(byName("cart-0").waypoint).toBeUndefined(); // waypoint-for: service
    expect(byName("waypoint").services![0].waypoint).toBeUndefined();
  });

  it("names every left-out object and part with file:line:col, document and path", () => {
    const text = (m: { line?: number; col?: number; document?: number; path?: string; message: string }) => `${m.line}:${m.col}: document ${m.document}: ${m.path}: ${m.message}`;
    const notes = r.notes.map(text);
    expect(notes).toContain("136:9: document 1: items[22].kind: skipped: kind ConfigMap is not read (pods, services, service accounts and namespaces are)");
    expect(notes).toContain("114:56: document 1: items[16].spec.ports[3].protocol: port 53/UDP left out: the mesh carries TCP");
    expect(notes).toContain("79:11: document 1: items[12].status: skipped: the pod has no IP yet");
    expect(notes).toContain("83:24: document 1: items[13].spec.hostNetwork: skipped: a host-network pod shares the node's address and is not part of the mesh");
    expect(notes.some((n) => n.includes("items[10].metadata.ownerReferences: a StatefulSet's pod is written with kind \"pod\""))).toBe(true);
    expect(r.errors.map(text)).toEqual([
      "143:3: document 2: metadata.name: missing",
      `73:41: document 1: items[11].spec.containers: no container port named "web", which service server/report port 80 targets (port left out for this pod)`,
    ]);
  });

  it("malformed objects and a waypoint that is not in the input are errors", () => {
    const bad = convert(`apiVersion: v1\nkind: Pod\nmetadata: { namespace: a }\n---\nkind: Namespace\nmetadata: { name: a, labels: { istio.io/use-waypoint: wp } }\n---\napiVersion: v1\nkind: Pod\nmetadata: { name: p, namespace: a }\nspec: {}\nstatus: { podIP: 10.1.1.1 }\n---\n- just a list\n`);
    expect(bad.errors.map((e) => `${e.document}: ${e.path}: ${e.message}`)).toEqual([
      "4: (document): expected a Kubernetes object",
      "1: metadata.name: missing",
      `2: metadata.labels["istio.io/use-waypoint"]: names waypoint a/wp, but no Service a/wp is in the input (the waypoint's address is its Service's)`,
    ]);
  });

  it("the table is what the filters load: hbone-outbound accepts it and routes by it", async () => {
    expect(await verifyWorkloadTable(r.workloads)).toEqual([]);
    const host = new Host({ logLevel: "warn" });
    const plugin = await host.loadPlugin({ module: modulePath("hbone-outbound"), name: "o", rootId: "hbone-outbound", configuration: JSON.stringify({ workloads: r.workloads }) });
    const snippet = parseYaml(readFileSync(join(repo, "filters/hbone-outbound/envoy.yaml"), "utf8"));
    const tcpProxy = snippet.static_resources.listeners[0].filter_chains[0].filters.find((f: { name: string }) => f.name === "envoy.filters.network.tcp_proxy").typed_config;
    const c = host.tcpConnection({ filters: [plugin], properties: { "source.address": "10.244.1.10:40000", "destination.address": "10.96.0.20:8000" }, tcpProxy });
    c.open();
    // client/sleep → httpbin's VIP:8000 → HBONE to the pod's named target port (http → 8080), pinned to its identity.
    expect(c.tcpProxy!.tunnelled).toBe(true);
    expect(c.tcpProxy!.connect!.authority).toBe("10.244.2.20:8080");
    expect(c.tcpProxy!.originalDestination).toBe("10.244.2.20:15008");
    expect(c.tcpProxy!.upstreamSubjectAltNames).toEqual(["spiffe://cluster.local/ns/server/sa/httpbin"]);
  });

  it("the command prints the table, notes and errors, and exits 1 when something was left out for an error", () => {
    const run = spawnSync(process.execPath, [join(repo, "bin/ambient-wasm.mjs"), "workloads", "from-k8s", fixture], { cwd: repo, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout).workloads).toHaveLength(6);
    expect(run.stderr).toContain(`error: ${fixture}:143:3: document 2: metadata.name: missing`);
    expect(run.stderr).toContain(`note: ${fixture}:79:11: document 1: items[12].status: skipped: the pod has no IP yet`);
    const clean = spawnSync(process.execPath, [join(repo, "bin/ambient-wasm.mjs"), "workloads", "from-k8s", "--quiet"], {
      cwd: repo, encoding: "utf8", input: "kind: Pod\nmetadata: { name: p, namespace: a }\nstatus: { podIP: 10.1.1.1 }\n",
    });
    expect(clean.stderr).toBe("");
    expect(clean.status).toBe(0);
    expect(JSON.parse(clean.stdout).workloads[0]).toMatchObject({ name: "p", addresses: ["10.1.1.1"], hbone: false });
  });
});
