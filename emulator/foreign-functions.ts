// Foreign functions Envoy registers (envoy source/extensions/common/wasm/foreign.cc): set_envoy_filter_state,
// declare_property, clear_route_cache, compress, uncompress. Arguments of the first two are protobuf
// messages (ext/set_envoy_filter_state.proto, ext/declare_property.proto), decoded here by hand.
import { deflateSync, inflateSync } from "node:zlib";
import { WasmResult } from "./constants.ts";
import { bytesToString, stringToBytes } from "./memory.ts";
import { LifeSpan, REGISTERED_FACTORIES } from "./filter-state.ts";
import type { FilterState } from "./filter-state.ts";
import type { Context, PluginInfo } from "./context.ts";

/** Result of a foreign function: bytes (status Ok) or an explicit status. */
export type ForeignFunctionResult = Uint8Array | string | void | { status: number; result?: Uint8Array };

/** A foreign function callable through `proxy_call_foreign_function`. */
export type ForeignFunction = (args: Uint8Array, ctx: ForeignCallContext) => ForeignFunctionResult;

export interface ForeignCallContext {
  /** The filter state of the stream/connection of the (effective) context, or null in a root context. */
  filterState: FilterState | null;
  plugin: PluginInfo;
  contextId: number;
  /** The emulator's context object (internal). */
  context: Context;
}

type Field = { num: number; wire: number; varint?: bigint; bytes?: Uint8Array };

/** Decode proto3 wire fields; null on malformed input. */
export function decodeProtoFields(buf: Uint8Array): Field[] | null {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint | null => {
    let result = 0n, shift = 0n;
    for (;;) {
      if (pos >= buf.length || shift > 63n) return null;
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    if (key === null) return null;
    const num = Number(key >> 3n), wire = Number(key & 7n);
    if (num === 0) return null;
    if (wire === 0) { const v = varint(); if (v === null) return null; out.push({ num, wire, varint: v }); }
    else if (wire === 2) {
      const len = varint();
      if (len === null || pos + Number(len) > buf.length) return null;
      out.push({ num, wire, bytes: buf.subarray(pos, pos + Number(len)) });
      pos += Number(len);
    } else if (wire === 1) { if (pos + 8 > buf.length) return null; pos += 8; out.push({ num, wire }); }
    else if (wire === 5) { if (pos + 4 > buf.length) return null; pos += 4; out.push({ num, wire }); }
    else return null;
  }
  return out;
}

function encodeVarint(v: number, out: number[]): void {
  while (v > 0x7f) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
  out.push(v);
}

/** SetEnvoyFilterStateArguments {1 path, 2 value, 3 span} in wire format (for tests and SDKs). */
export function encodeSetEnvoyFilterStateArguments(path: string, value: string, span = 0): Uint8Array {
  const out: number[] = [];
  const p = stringToBytes(path), v = stringToBytes(value);
  out.push(0x0a); encodeVarint(p.length, out); out.push(...p);
  out.push(0x12); encodeVarint(v.length, out); out.push(...v);
  if (span) { out.push(0x18); encodeVarint(span, out); }
  return new Uint8Array(out);
}

/** LifeSpan enum of the proto → FilterState life span; unknown → FilterChain (foreign.cc toFilterStateLifeSpan). */
function toLifeSpan(v: bigint | undefined): number {
  if (v === 1n) return LifeSpan.Request;
  if (v === 2n) return LifeSpan.Connection;
  return LifeSpan.FilterChain;
}

/** The context a foreign function acts on: the effective context (Envoy ≥ 1.37 behaviour). */
function streamOf(ctx: Context) { return ctx.owner; }

export function builtinForeignFunctions(): Map<string, ForeignFunction> {
  const m = new Map<string, ForeignFunction>();

  m.set("set_envoy_filter_state", (args, call): ForeignFunctionResult => {
    const fields = decodeProtoFields(args);
    if (!fields) return { status: WasmResult.BadArgument };
    let path = "", value = "", span: bigint | undefined;
    for (const f of fields) {
      if (f.num === 1 && f.bytes) path = bytesToString(f.bytes);
      else if (f.num === 2 && f.bytes) value = bytesToString(f.bytes);
      else if (f.num === 3) span = f.varint;
    }
    // envoy context.cc setEnvoyFilterState: unknown factory → NotFound, createFromBytes null → BadArgument,
    // no stream info (root context) → NotFound.
    const factory = REGISTERED_FACTORIES[path];
    if (!factory) return { status: WasmResult.NotFound };
    if (!factory(value)) return { status: WasmResult.BadArgument };
    if (!call.filterState) return { status: WasmResult.NotFound };
    call.filterState.setEnvoy(path, value, toLifeSpan(span));
    return { status: WasmResult.Ok };
  });

  m.set("declare_property", (args, call): ForeignFunctionResult => {
    const fields = decodeProtoFields(args);
    if (!fields) return { status: WasmResult.BadArgument };
    let name = "", readonly = false, type = 0, span: bigint | undefined;
    for (const f of fields) {
      if (f.num === 1 && f.bytes) name = bytesToString(f.bytes);
      else if (f.num === 2) readonly = f.varint === 1n;
      else if (f.num === 3) type = Number(f.varint ?? 0n);
      else if (f.num === 5) span = f.varint;
    }
    // Stored in the calling context's table (Context::declareProperty); set_property reads the root's.
    const ctx = call.context as Context;
    const prototypes = (ctx.statePrototypes ??= new Map());
    if (prototypes.has(name)) return { status: WasmResult.BadArgument };
    prototypes.set(name, { readonly, type, lifeSpan: toLifeSpan(span) });
    return { status: WasmResult.Ok };
  });

  m.set("clear_route_cache", (_args, call): ForeignFunctionResult => {
    const owner = streamOf(call.context as Context);
    if (owner) owner.clearRouteCache();
    return { status: WasmResult.Ok };
  });

  m.set("compress", (args): ForeignFunctionResult => {
    return { status: WasmResult.Ok, result: new Uint8Array(deflateSync(args)) };
  });

  m.set("uncompress", (args): ForeignFunctionResult => {
    try {
      return { status: WasmResult.Ok, result: new Uint8Array(inflateSync(args)) };
    } catch {
      return { status: WasmResult.SerializationFailure };
    }
  });

  return m;
}
