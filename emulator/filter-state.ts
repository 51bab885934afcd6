// Envoy filter state as the Wasm filter sees it:
// - proxy_set_property stores CelState objects under "wasm.<key>" (envoy context.cc setProperty; default
//   prototype {readonly false, type Bytes, life span FilterChain}; cel_state.h serializeAsString = raw bytes);
// - set_envoy_filter_state creates objects through registered ObjectFactory::createFromBytes (envoy context.cc
//   setEnvoyFilterState), validated like Envoy's factories;
// - lookups walk the parent chain (source/common/stream_info/filter_state_impl.cc), so an HTTP stream sees its
//   connection's objects; objects with a longer life span than the owner are stored in the parent.
import { bytesToString, stringToBytes } from "./memory.ts";
import { parseIp, parseIpPort } from "./address.ts";

export const LifeSpan = { FilterChain: 0, Request: 1, Connection: 2 } as const;
export const CelType = { Bytes: 0, String: 1, FlatBuffers: 2, Protobuf: 3 } as const;

export interface FilterStateObject {
  /** "cel" = a Wasm CelState; "envoy" = an object made by a registered factory. */
  kind: "cel" | "envoy";
  /** CelState value, or the object's serializeAsString(). */
  value: Uint8Array;
  /** value as text. */
  readonly text: string;
  lifeSpan: number;
  readonly: boolean;
  celType: number;
  /** Field support (AddressObject: ip, port). */
  fields?: Record<string, string | bigint>;
  /** The factory that made it ("envoy" objects). */
  factory?: string;
}

function makeObject(kind: "cel" | "envoy", value: Uint8Array, lifeSpan: number, extra: Partial<FilterStateObject> = {}): FilterStateObject {
  return {
    kind, value, lifeSpan, readonly: false, celType: CelType.Bytes, ...extra,
    get text() { return bytesToString(this.value); },
  };
}

type Factory = (data: string) => { value: string; fields?: Record<string, string | bigint> } | null;

const stringFactory: Factory = (d) => ({ value: d });
const addressFactory: Factory = (d) => {
  const a = parseIpPort(d);
  return a ? { value: a.text, fields: { ip: a.ip, port: BigInt(a.port) } } : null;
};
const uintFactory = (max: bigint): Factory => (d) => {
  if (!/^[0-9]+$/.test(d)) return null;
  const v = BigInt(d);
  return v <= max ? { value: v.toString() } : null;
};
const listFactory: Factory = (d) => ({ value: d.split(",").join(",") });

/**
 * Registered StreamInfo::FilterState::ObjectFactory keys usable with set_envoy_filter_state
 * (envoy docs/root/configuration/advanced/well_known_filter_state.rst and each factory's createFromBytes).
 */
export const REGISTERED_FACTORIES: Record<string, Factory> = {
  // source/extensions/clusters/original_dst/original_dst_cluster.cc OriginalDstClusterFilterStateFactory
  // → Network::BaseAddressObjectFactory (parseInternetAddressAndPortNoThrow; null → BadArgument).
  "envoy.network.transport_socket.original_dst_address": addressFactory,
  // source/extensions/filters/listener/original_dst/original_dst.cc (same address factory).
  "envoy.filters.listener.original_dst.local_ip": addressFactory,
  "envoy.filters.listener.original_dst.remote_ip": addressFactory,
  // source/common/tcp_proxy/tcp_proxy.cc PerConnectionCluster: any string.
  "envoy.tcp_proxy.cluster": stringFactory,
  // source/extensions/upstreams/tcp/generic/config.cc DisableTunnelingObjectFactory: BoolAccessor(data == "true").
  "envoy.tcp_proxy.disable_tunneling": (d) => ({ value: d === "true" ? "true" : "false" }),
  "envoy.tcp_proxy.per_connection_idle_timeout_ms": uintFactory((1n << 64n) - 1n),
  "envoy.upstream.dynamic_host": stringFactory,
  "envoy.upstream.dynamic_port": uintFactory(0xffffffffn),
  "envoy.network.upstream_server_name": stringFactory,
  "envoy.network.application_protocols": listFactory,
  "envoy.network.upstream_subject_alt_names": listFactory,
  "envoy.network.ip": (d) => { const ip = parseIp(d); return ip ? { value: ip, fields: { ip } } : null; },
  "envoy.udp_proxy.cluster": stringFactory,
  "envoy.ratelimit.hits_addend": uintFactory(0xffffffffn),
  "envoy.string": stringFactory,
};

export class FilterState {
  readonly parent: FilterState | null;
  /** The longest life span stored here (FilterChain/Request for a stream, Connection for a connection). */
  readonly lifeSpan: number;
  /** Made on first write: most streams never store anything. */
  private objects: Map<string, FilterStateObject> | null = null;

  constructor(lifeSpan: number, parent: FilterState | null = null) {
    this.lifeSpan = lifeSpan;
    this.parent = parent;
  }

  /** Look up an object, walking parents. */
  get(key: string): FilterStateObject | undefined {
    const own = this.objects?.get(key);
    if (own) return own;
    return this.parent?.get(key);
  }

  has(key: string): boolean { return this.get(key) !== undefined; }

  /** `%FILTER_STATE(key:PLAIN)%`: serializeAsString of the object, or null when absent ("-" in a log line). */
  plain(key: string): string | null {
    const o = this.get(key);
    return o ? o.text : null;
  }

  /** Raw bytes of an object. */
  bytes(key: string): Uint8Array | null { return this.get(key)?.value ?? null; }

  /** All keys visible from here (own first, then parents). */
  keys(): string[] {
    const out = this.objects ? [...this.objects.keys()] : [];
    if (this.parent) for (const k of this.parent.keys()) if (!out.includes(k)) out.push(k);
    return out;
  }

  /** Store (or delegate to the parent when the life span is longer than this level's). */
  put(key: string, obj: FilterStateObject): void {
    if (obj.lifeSpan > this.lifeSpan && this.parent) { this.parent.put(key, obj); return; }
    (this.objects ??= new Map()).set(key, obj);
  }

  /** Test helper: set a plain string/bytes object (like Envoy's set_filter_state filter with envoy.string). */
  set(key: string, value: string | Uint8Array, lifeSpan = this.lifeSpan): void {
    this.put(key, makeObject("envoy", typeof value === "string" ? stringToBytes(value) : value, lifeSpan, { factory: "envoy.string" }));
  }

  /**
   * proxy_set_property: CelState "wasm.<path>"; a readonly prototype rejects the second write (BadArgument = false).
   */
  setCel(path: string, value: Uint8Array, proto: { readonly: boolean; type: number; lifeSpan: number } | undefined): boolean {
    const key = "wasm." + path;
    const existing = this.get(key);
    if (existing && existing.kind === "cel") {
      if (existing.readonly) return false;
      existing.value = value.slice();
      return true;
    }
    const p = proto ?? { readonly: false, type: CelType.Bytes, lifeSpan: LifeSpan.FilterChain };
    this.put(key, makeObject("cel", value.slice(), p.lifeSpan, { readonly: p.readonly, celType: p.type }));
    return true;
  }

  /** set_envoy_filter_state: NotFound for unknown factories (1), BadArgument for rejected values (2), Ok (0). */
  setEnvoy(key: string, value: string, lifeSpan: number): 0 | 1 | 2 {
    const factory = REGISTERED_FACTORIES[key];
    if (!factory) return 1;
    const made = factory(value);
    if (!made) return 2;
    this.put(key, makeObject("envoy", stringToBytes(made.value), lifeSpan, { fields: made.fields, factory: key }));
    return 0;
  }
}
