// One proxy-wasm context as Envoy keeps it (envoy source/extensions/common/wasm/context.h): root contexts
// (one per plugin on a VM) and stream contexts (one per HTTP stream or TCP connection per filter).
// The fields below are the "windows" through which hostcalls reach Envoy objects: they are set only
// while Envoy lets the module see the object (context.cc decodeHeaders/decodeData/onData/...).
import type { HeaderMap } from "./header-map.ts";
import type { BodyBuffer } from "./body-buffer.ts";
import type { FilterState } from "./filter-state.ts";
import type { PendingLocalReply } from "./local-reply.ts";
import type { HostCallCounts } from "./host-call-counts.ts";
import type { FailurePolicy, HostOptions, Props } from "./types.ts";

/**
 * What a plugin is, apart from the VMs it runs on (plugin.ts implements it): what contexts, hostcalls,
 * properties and foreign functions read.
 */
export interface PluginInfo {
  readonly name: string;
  readonly rootId: string;
  readonly vmId: string;
  readonly configuration: Uint8Array;
  readonly failurePolicy: FailurePolicy;
  /** proxy-wasm PluginBase fail_open_ (only the legacy `fail_open` sets it). */
  readonly failOpen: boolean;
  readonly allowOnHeadersStopIteration: boolean;
  readonly listenerDirection: "UNSPECIFIED" | "INBOUND" | "OUTBOUND";
  /** Plugin key (proxy-wasm-cpp-host PluginBase::key). */
  readonly key: string;
  readonly hostCalls: HostCallCounts | null;
}

/** The least a context knows of its VM; vm.ts's Vm is the `V` of the contexts it creates. */
export interface ContextVm {
  readonly vmId: string;
  /** Distinguishes VMs whose callout tokens repeat (one VM per worker). */
  readonly serial: number;
  readonly host: { readonly options: HostOptions };
}

/** What property lookups read from the stream or connection a context belongs to. */
export interface PropertySource {
  /** Overrides, most specific first (stream props, then connection props). */
  readonly layers: Props[];
  readonly connectionId: number;
  /** Stream/connection start on the virtual wall clock, ns since the epoch. */
  startTimeNs(): bigint;
  /** Response code once response headers entered the encoder chain, else 0. */
  responseCode(): number;
  responseCodeDetails(): string | null;
  /** Request headers the access log sees / request size accounting. */
  requestBytesReceived(): number;
  responseBytesSent(): number;
  completed(): boolean;
  durationNs(): bigint;
  filterState: FilterState;
}

/** What the hostcalls of a stream context act on: implemented by HttpStream and TcpConnection. */
export interface StreamOwner {
  readonly kind: "http" | "tcp";
  readonly filterState: FilterState;
  readonly props: PropertySource;
  /** proxy_continue_stream (already deferred to after the VM call). */
  continueStream(ctx: Context, streamType: number): void;
  /** proxy_close_stream (already deferred). */
  closeStream(ctx: Context, streamType: number): void;
  /** proxy_send_local_response (already deferred). */
  sendLocalReply(ctx: Context, reply: PendingLocalReply): void;
  /** Trap handling: fail the stream as Envoy's Context::failStream does. */
  failStream(ctx: Context): void;
  /** getMap(RequestTrailers/ResponseTrailers) in a body callback at end of stream creates the trailers. */
  addTrailers(ctx: Context, response: boolean): HeaderMap;
  clearRouteCache(): void;
}

export class Context<V extends ContextVm = ContextVm> {
  readonly id: number;
  readonly parentId: number; // 0 for root contexts
  readonly plugin: PluginInfo | null; // null for the VM context (id 0)
  readonly vm: V;
  readonly root: Context<V>;
  createdInVm = false;
  destroyed = false;

  // Stream windows.
  owner: StreamOwner | null = null;
  position = 0; // index of this filter in its chain
  requestHeaders: HeaderMap | null = null;
  requestTrailers: HeaderMap | null = null;
  responseHeaders: HeaderMap | null = null;
  responseTrailers: HeaderMap | null = null;
  requestBody: BodyBuffer | null = null;
  responseBody: BodyBuffer | null = null;
  downstreamData: BodyBuffer | null = null;
  upstreamData: BodyBuffer | null = null;
  endOfStream = false;
  inResponseBody = false;
  inRequestBody = false;
  accessLogPhase = false;
  logRequestHeaders: HeaderMap | null = null;
  logResponseHeaders: HeaderMap | null = null;
  logResponseTrailers: HeaderMap | null = null;
  failureLocalReplySent = false;
  streamFailed = false;
  downstreamClosed = false;
  upstreamClosed = false;
  tcpClosed = false;

  // Root-context state.
  configuring = false; // temp_plugin_ set: PLUGIN_CONFIGURATION readable
  statusCode = 0;
  statusMessage = "";
  httpCallResponse: { headers: HeaderMap; body: Uint8Array; trailers: HeaderMap | null } | null = null;
  grpcInitialMetadata: HeaderMap | null = null;
  grpcTrailingMetadata: HeaderMap | null = null;
  grpcReceiveBuffer: Uint8Array | null = null;
  callData: Uint8Array | null = null;
  /** declare_property prototypes (root context's table is the one set_property consults); made on first use. */
  statePrototypes: Map<string, { readonly: boolean; type: number; lifeSpan: number }> | null = null;
  /** proxy_on_done returned false: waiting for proxy_done. */
  pendingDone = false;

  constructor(vm: V, id: number, parentId: number, plugin: PluginInfo | null, root: Context<V> | null) {
    this.vm = vm;
    this.id = id;
    this.parentId = parentId;
    this.plugin = plugin;
    this.root = root ?? this;
  }

  get isRoot(): boolean { return this.parentId === 0; }

  /** cpp-host ContextBase::log_prefix: root contexts use " root_id vm_id", streams " name root_id vm_id". */
  logPrefix(): string {
    const p = this.plugin;
    if (!p) return "";
    let s = "";
    if (!this.isRoot && p.name) s += " " + p.name;
    if (p.rootId) s += " " + p.rootId;
    if (p.vmId) s += " " + p.vmId;
    return s;
  }
}
