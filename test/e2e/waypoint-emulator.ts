// What the emulator predicts for one request through the waypoint's main_internal (envoy-configs/waypoint.yaml):
// its Wasm filters loaded from the shipped file as Envoy loads them, the filter state Envoy's set_filter_state
// filters give them (connect_terminate's, shared with the internal connection, and main_internal's own), and the
// bootstrap's stats_tags for /stats/prometheus.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { Host, type HeaderList, type Plugin, type Props } from "../../emulator/index.ts";
import { repoRoot } from "../../envoy/provision.ts";

export interface WaypointRequest {
  /** The CONNECT's :authority, restored as main_internal's local address. */
  destination: string;
  /** The client certificate's URI SAN (connect_terminate's %DOWNSTREAM_PEER_URI_SAN%). */
  peer: string;
  /** The CONNECT's baggage. */
  baggage: string;
  method: string;
  path: string;
  protocol: "HTTP/1.1" | "HTTP/2";
  headers?: HeaderList;
}

export interface WaypointPrediction {
  /** The local reply, when a filter answered. */
  status: number;
  details: string | null;
  /** /stats/prometheus sample lines. */
  prometheus: string[];
}

type Doc = { stats_config: { stats_tags: never[] }; static_resources: { listeners: any[] } };

function waypointDoc(): Doc {
  return parseYaml(readFileSync(join(repoRoot, "envoy-configs/waypoint.yaml"), "utf8"), { maxAliasCount: -1 }) as Doc;
}

/** main_internal's filter chain for a destination port, and what its set_filter_state filters write. */
function chainFor(doc: Doc, port: number) {
  const listener = doc.static_resources.listeners.find((l) => l.name === "main_internal");
  const chain = listener.filter_chains.find((c: any) => c.filter_chain_match?.destination_port === port);
  if (!chain) throw new Error(`waypoint.yaml main_internal has no filter chain for port ${port}`);
  const httpFilters: any[] = chain.filters[0].typed_config.http_filters;
  const stateFromConfig: Props = {};
  for (const f of httpFilters.filter((x) => x.name === "envoy.filters.http.set_filter_state")) {
    for (const v of f.typed_config.on_request_headers) stateFromConfig[`filter_state.${v.object_key}`] = v.format_string.text_format_source.inline_string;
  }
  return { listener, httpFilters, stateFromConfig };
}

/** One request, answered 200 by the upstream unless a filter replies itself. */
export async function predictWaypoint(requests: WaypointRequest[]): Promise<WaypointPrediction[]> {
  const doc = waypointDoc();
  const host = new Host({ statsTags: doc.stats_config.stats_tags });
  const plugins = new Map<number, Plugin[]>();
  const out: WaypointPrediction[] = [];
  for (const r of requests) {
    const port = Number(r.destination.split(":")[1]);
    const { listener, httpFilters, stateFromConfig } = chainFor(doc, port);
    if (!plugins.has(port)) {
      const loaded: Plugin[] = [];
      for (const f of httpFilters.filter((x) => x.name === "envoy.filters.http.wasm")) {
        const c = f.typed_config.config;
        loaded.push(await host.loadPlugin({
          module: join(repoRoot, c.vm_config.code.local.filename), name: c.name, rootId: c.root_id ?? "",
          vmId: c.vm_config.vm_id ?? "", configuration: c.configuration.value, listenerDirection: listener.traffic_direction,
        }));
      }
      plugins.set(port, loaded);
    }
    const s = host.httpStream({
      filters: plugins.get(port)!,
      // The internal connection: no TLS of its own; the peer identity and baggage arrive as filter state.
      connection: {
        "source.address": "10.77.0.10:40000", "destination.address": r.destination, "connection.mtls": false,
        "filter_state.io.istio.peer_principal": r.peer, "filter_state.ambient_wasm.downstream_baggage": r.baggage,
      },
      properties: { ...stateFromConfig, "request.protocol": r.protocol },
    });
    s.sendRequestHeaders([[":method", r.method], [":path", r.path], [":authority", r.destination], [":scheme", "http"], ...(r.headers ?? [])], true);
    if (!s.localResponse) {
      const grpc = (r.headers ?? []).some(([k, v]) => k === "content-type" && v.startsWith("application/grpc"));
      s.sendResponseHeaders([[":status", "200"], ["content-type", grpc ? "application/grpc" : "application/json"]], false);
      if (grpc) s.sendResponseBody("\0\0\0\0\0", false).sendResponseTrailers([["grpc-status", "0"]]);
      else s.sendResponseBody("{}", true);
    }
    s.complete();
    out.push({ status: s.localResponse?.status ?? 200, details: s.localResponse?.details ?? null, prometheus: [] });
  }
  const lines = host.prometheus().split("\n").filter((l) => l && !l.startsWith("#"));
  for (const p of out) p.prometheus = lines;
  return out;
}
