// proxy_get_property as Envoy answers it (envoy source/extensions/common/wasm/context.cc getProperty/findValue,
// source/extensions/filters/common/expr/context.{h,cc} attribute catalogue, serializeValue encodings).
// Paths are NUL-separated segments; unknown → NotFound; stream attributes need stream info (NotFound in a
// root context) while xds.* and plugin_* always work. Values given by the test (Props) take precedence.
import type { Context, PropertySource } from "./context.ts";
export type { PropertySource } from "./context.ts";
import type { HeaderMap } from "./header-map.ts";
import type { FilterState } from "./filter-state.ts";
import type { Props, PropValue } from "./types.ts";
import { WasmResult } from "./constants.ts";
import { encodePairs } from "./pairs.ts";
import { stringToBytes } from "./memory.ts";
import { parseIpPort } from "./address.ts";

/** Per stream/connection property data (stream info in Envoy). */

const EMPTY = new Uint8Array(0);

export function int64(v: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt.asIntN(64, BigInt(v)), true);
  return out;
}

function double(v: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, v, true);
  return out;
}

/** Encode a test-provided property value (contract: string raw, number/bigint int64 LE, boolean 1 byte). */
export function encodePropValue(v: PropValue): Uint8Array | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return stringToBytes(v);
  if (typeof v === "number") return int64(Math.trunc(v));
  if (typeof v === "bigint") return int64(v);
  if (typeof v === "boolean") return new Uint8Array([v ? 1 : 0]);
  return v;
}

/** google.protobuf.Value serialization (xds.node.metadata values): string raw, number double, bool, struct/list pairs. */
export function encodeStructValue(v: unknown): Uint8Array | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return stringToBytes(v);
  if (typeof v === "number") return double(v);
  if (typeof v === "boolean") return new Uint8Array([v ? 1 : 0]);
  if (Array.isArray(v)) return encodePairs(v.map((e) => [encodeStructValue(e) ?? EMPTY, EMPTY] as [Uint8Array, Uint8Array]));
  if (typeof v === "object") {
    return encodePairs(Object.entries(v as Record<string, unknown>).map(([k, e]) => [k, encodeStructValue(e) ?? EMPTY] as [string, Uint8Array]));
  }
  return null;
}

interface Result { status: number; value: Uint8Array }
const NOT_FOUND: Result = { status: WasmResult.NotFound, value: EMPTY };
const ok = (value: Uint8Array): Result => ({ status: WasmResult.Ok, value });

function lookupLayers(layers: Props[], key: string): PropValue | undefined {
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    if (key in l) return l[key];
  }
  return undefined;
}

function headersMap(h: HeaderMap): Uint8Array {
  const names: string[] = [];
  for (const k of h.keys) if (!names.includes(k)) names.push(k);
  return encodePairs(names.map((n) => [n, h.getAll(n).join(",")] as [string, string]));
}

function headerValue(h: HeaderMap | null, name: string): Result {
  if (!h) return NOT_FOUND;
  const all = h.getAll(name);
  return all.length ? ok(stringToBytes(all.join(","))) : NOT_FOUND;
}

/** Resolve a property path for a context. */
export function getProperty(ctx: Context, segments: string[]): Result {
  if (segments.length === 0) return NOT_FOUND;
  const host = ctx.vm.host;
  const plugin = ctx.plugin;
  const owner = ctx.owner;
  const dotted = segments.join(".");
  const top = segments[0];

  // Test-provided values: stream / connection layers, then host-level ones (node metadata etc.).
  if (owner) {
    const v = lookupLayers(owner.props.layers, dotted);
    if (v !== undefined) { const b = encodePropValue(v); return b ? ok(b) : NOT_FOUND; }
  }

  switch (top) {
    case "plugin_name": return segments.length === 1 && plugin ? ok(stringToBytes(plugin.name)) : NOT_FOUND;
    case "plugin_root_id": return segments.length === 1 && plugin ? ok(stringToBytes(plugin.rootId)) : NOT_FOUND;
    case "plugin_vm_id": return segments.length === 1 ? ok(stringToBytes(ctx.vm.vmId)) : NOT_FOUND;
    case "xds": return xdsProperty(ctx, segments);
  }
  if (!owner) return NOT_FOUND; // no stream info in a root context
  const props = owner.props;

  switch (top) {
    case "connection_id": return segments.length === 1 ? ok(int64(props.connectionId)) : NOT_FOUND;
    case "source":
    case "destination":
    case "upstream": return addressProperty(props.layers, segments);
    case "connection": return connectionProperty(props, segments);
    case "request": return requestProperty(ctx, props, segments);
    case "response": return responseProperty(ctx, props, segments);
    case "filter_state": return filterStateProperty(props.filterState, segments);
    case "metadata":
    case "upstream_filter_state": return NOT_FOUND;
  }
  // Fallback: CelState "wasm.<top>" in the filter state (findValue).
  const state = props.filterState.get("wasm." + top);
  if (state && state.kind === "cel" && segments.length === 1) return ok(state.value);
  return NOT_FOUND;
}

function addressProperty(layers: Props[], segments: string[]): Result {
  if (segments.length !== 2) return NOT_FOUND;
  const [top, field] = segments;
  if (field === "port") {
    const addr = lookupLayers(layers, `${top}.address`);
    if (typeof addr !== "string") return NOT_FOUND;
    const parsed = parseIpPort(addr);
    return parsed ? ok(int64(parsed.port)) : NOT_FOUND; // non-IP (e.g. internal listener) → NotFound
  }
  return NOT_FOUND;
}

function connectionProperty(props: PropertySource, segments: string[]): Result {
  if (segments.length !== 2) return NOT_FOUND;
  switch (segments[1]) {
    case "id": return ok(int64(props.connectionId));
    case "mtls": return ok(new Uint8Array([0]));
    case "requested_server_name": return ok(EMPTY);
  }
  return NOT_FOUND;
}

function requestHeadersOf(ctx: Context): HeaderMap | null {
  return ctx.requestHeaders ?? ctx.logRequestHeaders;
}

function requestProperty(ctx: Context, props: PropertySource, segments: string[]): Result {
  if (ctx.owner?.kind !== "http") return NOT_FOUND;
  const field = segments[1];
  const h = requestHeadersOf(ctx);
  if (segments.length === 1) return NOT_FOUND;
  switch (field) {
    case "time": return segments.length === 2 ? ok(int64(props.startTimeNs())) : NOT_FOUND;
    case "protocol": return ok(stringToBytes("HTTP/1.1"));
    case "duration": return props.completed() ? ok(int64(props.durationNs())) : NOT_FOUND;
    // Body bytes received + request header bytes; trailers are not counted (unlike response.total_size)
    // (envoy source/extensions/filters/common/expr/context.cc RequestWrapper TotalSize).
    case "total_size": return ok(int64(props.requestBytesReceived() + (h ? h.byteSize() : 0)));
    case "size": {
      // content-length when present (an unparsable one → no value, NotFound), else bytes received
      // (context.cc RequestWrapper Size).
      const cl = h?.get("content-length");
      if (cl === undefined) return ok(int64(props.requestBytesReceived()));
      return /^[0-9]+$/.test(cl) ? ok(int64(BigInt(cl))) : NOT_FOUND;
    }
  }
  if (!h) return NOT_FOUND; // headers not accessible in this callback
  if (field === "headers") {
    if (segments.length === 2) return ok(headersMap(h));
    if (segments.length === 3) return headerValue(h, segments[2]);
    return NOT_FOUND;
  }
  if (segments.length !== 2) return NOT_FOUND;
  const path = h.get(":path");
  switch (field) {
    case "path": return path !== undefined ? ok(stringToBytes(path)) : NOT_FOUND;
    case "url_path": return path !== undefined ? ok(stringToBytes(path.split("?")[0])) : NOT_FOUND;
    case "query": {
      if (path === undefined) return NOT_FOUND;
      const q = path.indexOf("?");
      return ok(stringToBytes(q < 0 ? "" : path.slice(q + 1)));
    }
    case "host": return headerValue(h, ":authority");
    case "scheme": return headerValue(h, ":scheme");
    case "method": return headerValue(h, ":method");
    case "referer": return headerValue(h, "referer");
    case "useragent": return headerValue(h, "user-agent");
    case "id": return headerValue(h, "x-request-id");
  }
  return NOT_FOUND;
}

function responseProperty(ctx: Context, props: PropertySource, segments: string[]): Result {
  if (ctx.owner?.kind !== "http" || segments.length < 2) return NOT_FOUND;
  const field = segments[1];
  switch (field) {
    case "code": { const c = props.responseCode(); return c ? ok(int64(c)) : NOT_FOUND; }
    case "code_details": { const d = props.responseCodeDetails(); return d !== null ? ok(stringToBytes(d)) : NOT_FOUND; }
    case "flags": return ok(int64(0));
    case "size": return ok(int64(props.responseBytesSent()));
    case "total_size": {
      // bytesSent + response headers + trailers byte sizes (envoy filters/common/expr/context.cc TotalSize)
      const h = ctx.responseHeaders ?? ctx.logResponseHeaders;
      const t = ctx.responseTrailers ?? ctx.logResponseTrailers;
      return ok(int64(props.responseBytesSent() + (h ? h.byteSize() : 0) + (t ? t.byteSize() : 0)));
    }
    case "headers":
    case "trailers": {
      const m = field === "headers" ? (ctx.responseHeaders ?? ctx.logResponseHeaders) : (ctx.responseTrailers ?? ctx.logResponseTrailers);
      if (!m) return NOT_FOUND;
      if (segments.length === 2) return ok(headersMap(m));
      if (segments.length === 3) return headerValue(m, segments[2]);
      return NOT_FOUND;
    }
    case "grpc_status": {
      const m = ctx.responseTrailers ?? ctx.logResponseTrailers ?? ctx.responseHeaders ?? ctx.logResponseHeaders;
      const g = m?.get("grpc-status");
      return g ? ok(int64(grpcStatusCode(g))) : NOT_FOUND;
    }
  }
  return NOT_FOUND;
}

function filterStateProperty(fs: FilterState, segments: string[]): Result {
  if (segments.length < 2) return NOT_FOUND;
  const obj = fs.get(segments[1]);
  if (!obj) return NOT_FOUND;
  if (segments.length === 2) {
    // Objects with field support read as a (empty) map; read a field instead (envoy expr context.cc).
    if (obj.fields) return ok(encodePairs([]));
    return ok(obj.value);
  }
  if (segments.length === 3 && obj.fields && segments[2] in obj.fields) {
    const f = obj.fields[segments[2]];
    return ok(typeof f === "bigint" ? int64(f) : stringToBytes(f));
  }
  return NOT_FOUND;
}

function xdsProperty(ctx: Context, segments: string[]): Result {
  const host = ctx.vm.host;
  const plugin = ctx.plugin;
  const [, field, ...rest] = segments;
  if (field === "node") {
    if (rest.length === 0) return NOT_FOUND; // whole Node proto not modelled
    if (rest[0] === "id" && rest.length === 1) return ok(stringToBytes(host.options.nodeId ?? ""));
    if (rest[0] === "cluster" && rest.length === 1) return ok(stringToBytes(host.options.nodeCluster ?? ""));
    if (rest[0] === "metadata") {
      let v: unknown = host.options.nodeMetadata ?? {};
      for (const seg of rest.slice(1)) {
        if (v && typeof v === "object" && !Array.isArray(v) && seg in (v as Record<string, unknown>)) v = (v as Record<string, unknown>)[seg];
        else if (Array.isArray(v) && /^[0-9]+$/.test(seg) && Number(seg) < v.length) v = v[Number(seg)];
        else return NOT_FOUND;
      }
      const b = encodeStructValue(v);
      return b ? ok(b) : NOT_FOUND;
    }
    return NOT_FOUND;
  }
  if (field === "listener_direction" && rest.length === 0) {
    const d = plugin?.listenerDirection ?? "UNSPECIFIED";
    return ok(int64(d === "INBOUND" ? 1 : d === "OUTBOUND" ? 2 : 0));
  }
  return NOT_FOUND;
}

/** absl::SimpleAtoi into a uint64, as Envoy parses numeric header values: null when it fails. */
export function simpleAtoiU64(value: string): bigint | null {
  const text = value.trim();
  if (!/^\+?[0-9]{1,20}$/.test(text)) return null;
  const n = BigInt(text);
  return n > 0xffff_ffff_ffff_ffffn ? null : n;
}

/**
 * Grpc::Common::getGrpcStatus (source/common/grpc/common.cc): a value that does not parse as a uint64, or is above
 * the last well-known status (16), is InvalidCode (-1).
 */
export function grpcStatusCode(value: string): number {
  const code = simpleAtoiU64(value);
  return code === null || code > 16n ? -1 : Number(code);
}
