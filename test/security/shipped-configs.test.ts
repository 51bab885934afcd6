// Issue 14, findings 2, 4, 6, 9 and 10 as far as they live in the shipped Envoy configs (the real-Envoy e2e suite
// shows the behaviour): every HCM that takes traffic from outside the node uses the TCP peer as the source,
// `ambient-wasm validate` warns when one in front of identity-rbac / hbone-inbound does not, the waypoint only
// accepts the CONNECT targets it serves, the egress CONNECT proxy requires a mesh client certificate, L7 HCMs
// decode escaped slashes, and the HBONE terminates send HTTP/2 keepalives.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { validateSource } from "../../cli/validate/validate-config.ts";
import { repoRoot } from "../envoy-configs/shipped.ts";

type Obj = Record<string, any>;
const load = (file: string): Obj => parseYaml(readFileSync(file, "utf8"), { merge: true });
const HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

function listener(doc: Obj, name: string): Obj {
  const l = doc.static_resources.listeners.find((x: Obj) => x.name === name);
  if (!l) throw new Error(`no listener ${name}`);
  return l;
}

function hcmsOf(l: Obj): Obj[] {
  return l.filter_chains.flatMap((c: Obj) => c.filters).filter((f: Obj) => f.typed_config?.["@type"] === HCM).map((f: Obj) => f.typed_config);
}

const rootIds = (hcm: Obj): string[] => (hcm.http_filters ?? []).map((f: Obj) => f.typed_config?.config?.root_id).filter(Boolean);

describe("finding 2: the source address is the TCP peer", () => {
  for (const file of ["ztunnel.yaml", "waypoint.yaml", "sidecar.yaml", "egress.yaml"]) {
    it(`${file}: every HCM on a socket listener sets use_remote_address: true and trusts no XFF hop`, () => {
      const doc = load(`envoy-configs/${file}`);
      const socketListeners = doc.static_resources.listeners.filter((l: Obj) => l.address);
      let checked = 0;
      for (const l of socketListeners) {
        for (const hcm of hcmsOf(l)) {
          expect({ listener: l.name, use_remote_address: hcm.use_remote_address, hops: hcm.xff_num_trusted_hops ?? 0 })
            .toEqual({ listener: l.name, use_remote_address: true, hops: 0 });
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  }

  it("validate warns when the HCM in front of identity-rbac or hbone-inbound takes the address from XFF", async () => {
    const source = readFileSync("envoy-configs/ztunnel.yaml", "utf8");
    const clean = await validateSource(source, "ztunnel.yaml", { baseDir: repoRoot });
    expect(clean.filter((d) => /use_remote_address/.test(d.message))).toEqual([]);

    const without = source.replace(/\n {10}use_remote_address: true\n {10}xff_num_trusted_hops: 0\n(?= {10}# HTTP\/2 CONNECT)/, "\n");
    expect(without).not.toBe(source);
    const warned = (await validateSource(without, "ztunnel.yaml", { baseDir: repoRoot })).filter((d) => /use_remote_address/.test(d.message));
    expect(warned).toHaveLength(1);
    expect(warned[0].severity).toBe("warning");
    expect(warned[0].message).toMatch(/hbone-inbound/);

    const trusting = source.replace("use_remote_address: true\n          xff_num_trusted_hops: 0\n          # HTTP/2", "use_remote_address: true\n          xff_num_trusted_hops: 2\n          # HTTP/2");
    expect(trusting).not.toBe(source);
    const hops = (await validateSource(trusting, "ztunnel.yaml", { baseDir: repoRoot })).filter((d) => /xff_num_trusted_hops/.test(d.message));
    expect(hops).toHaveLength(1);
  });
});

describe("finding 4: the waypoint only takes CONNECT targets it serves, and sends each where it was judged", () => {
  const doc = load("envoy-configs/waypoint.yaml");

  it("connect_terminate routes only the served ip:port authorities (any other gets no route)", () => {
    const [hcm] = hcmsOf(listener(doc, "connect_terminate"));
    const domains = hcm.route_config.virtual_hosts.flatMap((v: Obj) => v.domains);
    // httpbin-l7's VIP on its two service ports: the service traffic ztunnel sends to this waypoint.
    expect(domains.sort()).toEqual(["10.96.0.21:8000", "10.96.0.21:9090"]);
    expect(domains).not.toContain("*");
  });

  it("main_internal picks its filter chain by the restored destination, with no catch-all chain", () => {
    const l = listener(doc, "main_internal");
    expect(l.default_filter_chain).toBeUndefined();
    const matches = l.filter_chains.map((c: Obj) => c.filter_chain_match);
    for (const m of matches) expect(m?.destination_port, JSON.stringify(m)).toBeGreaterThan(0);
    expect(matches.map((m: Obj) => `${m.prefix_ranges[0].address_prefix}/${m.prefix_ranges[0].prefix_len}:${m.destination_port}`).sort())
      .toEqual(["10.96.0.21/32:8000", "10.96.0.21/32:9090"]);
  });
});

describe("finding 6: the egress CONNECT listener is not an open proxy", () => {
  it("requires a client certificate of the mesh's trust domain", () => {
    const l = listener(load("envoy-configs/egress.yaml"), "egress_connect");
    for (const chain of l.filter_chains) {
      const tls = chain.transport_socket?.typed_config;
      expect(tls?.["@type"]).toBe("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext");
      expect(tls.require_client_certificate).toBe(true);
      expect(tls.common_tls_context.validation_context.match_typed_subject_alt_names[0].matcher.prefix).toBe("spiffe://cluster.local/");
    }
  });
});

describe("finding 9: L7 HCMs decode escaped slashes before routing and RBAC", () => {
  for (const [file, name] of [["waypoint.yaml", "main_internal"], ["sidecar.yaml", undefined]] as const) {
    it(`${file}: every HCM running identity-rbac-l7 normalises paths and unescapes %2F`, () => {
      const doc = load(`envoy-configs/${file}`);
      const ls = name ? [listener(doc, name)] : doc.static_resources.listeners;
      const l7 = ls.flatMap(hcmsOf).filter((h: Obj) => rootIds(h).includes("identity-rbac-l7"));
      expect(l7.length).toBeGreaterThan(0);
      for (const h of l7) {
        expect({ normalize_path: h.normalize_path, merge_slashes: h.merge_slashes, escaped: h.path_with_escaped_slashes_action })
          .toEqual({ normalize_path: true, merge_slashes: true, escaped: "UNESCAPE_AND_FORWARD" });
      }
    });
  }
});

describe("finding 10: HTTP/2 keepalive on the HBONE terminates (Istio's 10 s / 20 s)", () => {
  for (const [file, name] of [["ztunnel.yaml", "ztunnel_hbone"], ["waypoint.yaml", "connect_terminate"]] as const) {
    it(`${file} ${name}`, () => {
      for (const h of hcmsOf(listener(load(`envoy-configs/${file}`), name))) {
        expect(h.http2_protocol_options.connection_keepalive).toEqual({ interval: "10s", timeout: "20s" });
      }
    });
  }
});
