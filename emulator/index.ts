/**
 * ambient-wasm emulator — public test API.
 *
 * An Envoy-faithful proxy-wasm host in TypeScript. Load any proxy-wasm module (ABI 0.2.1, 0.2.0, 0.1.0),
 * open HTTP streams and TCP connections through chains of plugins, drive them, and assert what Envoy
 * would have forwarded, replied, logged, counted and stored in filter state.
 *
 * ```ts
 * import { Host } from "../../emulator/index.ts";
 * const host = new Host({ statsTags: [{ tag_name: "reporter", regex: "(reporter=\\.=(.*?);\\.;)" }] });
 * const plugin = await host.loadPlugin({ module: "build/my.wasm", configuration: '{"x":1}' });
 * const s = host.httpStream({ filters: [plugin], connection: { "source.address": "10.0.0.1:4567" } });
 * s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "a"], [":scheme", "http"]], true);
 * s.sendResponseHeaders([[":status", "200"]], true);
 * s.complete();                                   // on_log → on_done → on_delete
 * expect(s.downstreamResponse.headers).toContainEqual([":status", "200"]);
 * ```
 *
 * Everything is synchronous except `loadPlugin` (module compilation). Time is virtual (`host.advanceTime`).
 */

export { Host } from "./host.ts";
export { Plugin } from "./plugin.ts";
export { PluginLoadError } from "./plugin-load-error.ts";
export type { PluginInstance } from "./vm-set.ts";
export { HostCallCounts } from "./host-call-counts.ts";
export { HttpStream } from "./http-stream.ts";
export type { HttpStreamOptions } from "./http-stream.ts";
export { TcpConnection } from "./tcp-connection.ts";
export type { TcpConnectionOptions } from "./tcp-connection.ts";
export { envoyImportNames } from "./imports.ts";
export type { AbiVersion } from "./imports.ts";
export { WasmResult, BufferType, MapType, StreamType, MetricType, PeerType, LOG_LEVEL_NAMES } from "./constants.ts";
export { encodePairs, decodePairs } from "./pairs.ts";
export { encodeSetEnvoyFilterStateArguments } from "./foreign-functions.ts";
export type { ForeignFunction, ForeignFunctionResult, ForeignCallContext } from "./foreign-functions.ts";
export { FilterState, LifeSpan, REGISTERED_FACTORIES } from "./filter-state.ts";
export type { FilterStateObject } from "./filter-state.ts";

export { tcpProxyDecision, formatTemplate, TcpProxyConfigError } from "./tcp-proxy.ts";
export type { TcpProxyConfig, TunnelingConfig, TcpProxyCluster, TcpProxyConnection, TcpProxyDecision, ConnectRequest } from "./tcp-proxy.ts";
export type { StatsStore } from "./stats/index.ts";
export type * from "./types.ts";
