// Issue 14, finding 11: a peer varying its baggage cannot create unbounded metric series. Labels from the
// workload table win; baggage is used only for peers the table lacks, and only up to a cap of distinct label sets.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { Host } from "../../emulator/index.ts";

const STATS_TAGS = parseYaml(readFileSync("envoy-configs/waypoint.yaml", "utf8")).stats_config.stats_tags;
const forgedBaggage = (i: number) => `k8s.namespace.name=ns${i},k8s.deployment.name=attacker${i},service.name=s${i}`;

describe("finding 11: baggage label cardinality", () => {
  it("waypoint reporter: 1000 distinct client baggages define at most maxPeerLabelSets + 1 series", async () => {
    const host = new Host({ statsTags: STATS_TAGS });
    const config = { reporter: "waypoint", maxPeerLabelSets: 16,
      local: { workload: "waypoint", namespace: "server", cluster: "Kubernetes", principal: "spiffe://cluster.local/ns/server/sa/waypoint" },
      destinationService: { host: "httpbin.server.svc.cluster.local", name: "httpbin", namespace: "server" },
      peerFilterState: { downstream: "ambient_wasm.downstream_baggage" } };
    const plugin = await host.loadPlugin({ module: "build/istio-stats.wasm", rootId: "http", configuration: JSON.stringify(config) });
    for (let i = 0; i < 1000; i++) {
      const s = host.httpStream({ filters: [plugin], connection: { "connection.mtls": true, "connection.uri_san_peer_certificate": "spiffe://cluster.local/ns/other/sa/intruder" },
        properties: { "filter_state.ambient_wasm.downstream_baggage": forgedBaggage(i) } });
      s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "httpbin"]], true);
      s.sendResponseHeaders([[":status", "200"]], true);
      s.complete();
    }
    expect(host.traps).toEqual([]);
    const series = host.prometheus().split("\n").filter((l) => l.startsWith("istio_requests_total{"));
    expect(series.length).toBeLessThanOrEqual(17);
    expect(series.some((l) => l.includes('source_workload="attacker0"'))).toBe(true); // the first ones are labelled
    expect(series.some((l) => l.includes('source_workload="attacker999"'))).toBe(false);
    const total = series.reduce((n, l) => n + Number(l.split(" ").pop()), 0);
    expect(total).toBe(1000); // every request still counted
  });

  const INBOUND = {
    maxBaggagePeers: 8,
    workloads: [
      { name: "sleep", namespace: "client", kind: "deployment", addresses: ["10.77.1.10"], identity: "spiffe://cluster.local/ns/client/sa/sleep" },
      { name: "httpbin", namespace: "server", kind: "deployment", addresses: ["10.77.0.20"], identity: "spiffe://cluster.local/ns/server/sa/httpbin" },
    ],
  };

  async function inboundPeer(host: Host, plugin: Awaited<ReturnType<Host["loadPlugin"]>>, source: string, baggage: string) {
    const s = host.httpStream({ filters: [plugin], connection: { "source.address": source, "destination.address": "10.77.0.20:15008" } });
    s.sendRequestHeaders([[":method", "CONNECT"], [":authority", "10.77.0.20:80"], ["baggage", baggage]], false);
    return s.filterState.plain("wasm.downstream_peer");
  }

  it("hbone-inbound: table labels win over baggage; baggage-only peers are capped at maxBaggagePeers", async () => {
    const host = new Host();
    const plugin = await host.loadPlugin({ module: "build/hbone-inbound.wasm", configuration: JSON.stringify(INBOUND) });
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const peer = await inboundPeer(host, plugin, "10.99.0.1:1000", forgedBaggage(i));
      if (peer) seen.add(peer);
    }
    expect(seen.size).toBe(8);
    // A peer in the table keeps its table labels whatever baggage it sends, even after the flood.
    const sleep = await inboundPeer(host, plugin, "10.77.1.10:1000", forgedBaggage(5000));
    expect(sleep).toContain("k8s.deployment.name=sleep");
    expect(sleep).not.toContain("attacker");
    expect(host.traps).toEqual([]);
  });
});
