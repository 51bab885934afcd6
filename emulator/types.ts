/**
 * The emulator's public types: options of the Host, plugins, streams and connections, and what a test reads
 * back. Kept apart from the façade (index.ts) so the modules implementing them import types from here; it imports
 * nothing of the emulator but the stats tag type. Options that name plugins or contexts live with their class
 * (HttpStreamOptions in http-stream.ts, TcpConnectionOptions in tcp-connection.ts, ForeignFunction in
 * foreign-functions.ts).
 */
/** Envoy log levels, lowest first (proxy_log levels 0..5; "off" = 6 is what proxy_get_log_level may return). */
export type LogLevelName = "trace" | "debug" | "info" | "warn" | "error" | "critical" | "off";

/** One bootstrap `stats_config.stats_tags[]` entry: {tag_name, regex} or {tag_name, fixed_value}. */
import type { TagSpecifier } from "./stats/index.ts";
export type { TagSpecifier };

/** A list of header entries in order, names as Envoy stores them (lower-case). Duplicates allowed. */
export type HeaderList = Array<[string, string]>;
/** A HeaderList whose values may also be raw bytes (Envoy stores bytes; a client may send invalid UTF-8). */
export type RawHeaderList = ReadonlyArray<readonly [string, string | Uint8Array]>;

/**
 * A property value as the test sets it. Encoded the way Envoy's `proxy_get_property` returns values:
 * string → raw UTF-8 bytes, number/bigint → int64 little-endian, boolean → 1 byte, Uint8Array → raw bytes,
 * null → property absent (NotFound).
 */
export type PropValue = string | number | bigint | boolean | Uint8Array | null;

/**
 * Property overrides by dotted path: "source.address", "connection.mtls", "request.protocol",
 * "xds.node.metadata.NAME", "xds.cluster_name", "filter_state.KEY", "metadata.filter_metadata.NS.KEY"...
 * The emulator derives the rest (request.* from headers, response.code, plugin_name...) like Envoy does.
 */
export type Props = Record<string, PropValue>;

export interface HostOptions {
  /** Bootstrap `stats_config.stats_tags`, used for tag extraction in `prometheus()`. */
  statsTags?: TagSpecifier[];
  /** Bootstrap `stats_config.use_all_default_tags` (Envoy default true). */
  useAllDefaultTags?: boolean;
  /** Clusters known to the cluster manager; `proxy_http_call`/`proxy_grpc_call` to others → BadArgument. Default: any. */
  clusters?: string[];
  /** Level of Envoy's `wasm` logger: messages below it are dropped; returned by proxy_get_log_level. Default "trace". */
  logLevel?: LogLevelName;
  /** `xds.node.metadata` (bootstrap node.metadata). */
  nodeMetadata?: Record<string, unknown>;
  /** `xds.node.id`. */
  nodeId?: string;
  /** `xds.node.cluster`. */
  nodeCluster?: string;
  /** Virtual wall clock start, ms since the Unix epoch. Default 1_700_000_000_000. */
  startTimeMs?: number;
  /** Echo captured logs to the console as they happen. Default false. */
  printLogs?: boolean;
  /**
   * Model Envoy's VM layout for `--concurrency W`: per VM key a base VM (`_initialize` only), a configuration
   * canary per plugin (start + configure, then discarded without on_done/on_delete) and one VM per worker,
   * each with its own linear memory — so on_vm_start/on_configure run W+1 times. Streams and connections are
   * assigned to workers round-robin (or by their `worker` option). Shared data and shared queues are the
   * only state the VMs share. Unset: one VM per VM key, no base VM, no canary.
   */
  workers?: number;
  /** Count every import invocation by name in `host.hostCalls` and `plugin.hostCalls`. Default false (no cost). */
  countHostCalls?: boolean;
}

export type FailurePolicy = "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";

export interface PluginOptions {
  /** Wasm bytes, or a file path. */
  module: Uint8Array | string;
  /** `vm_config.vm_id`. Plugins with equal vmId + module bytes + vmConfig share one VM (and one context id counter). */
  vmId?: string;
  /** `vm_config.configuration` (BufferType 6). Struct configs are JSON text in Envoy. */
  vmConfig?: string | Uint8Array;
  /** `vm_config.environment_variables.key_values`, exposed via WASI environ_get. */
  environment?: Record<string, string>;
  /** Plugin `name` (log prefix, `plugin_name` property). Default "". */
  name?: string;
  /** Plugin `root_id` (`plugin_root_id` property, log prefix). Default "". */
  rootId?: string;
  /** Plugin `configuration` (BufferType 7, readable only during on_configure). */
  configuration?: string | Uint8Array;
  /**
   * PluginConfig `failure_policy`: what later streams get once the VM failed (FAIL_OPEN: the filter is left out;
   * FAIL_CLOSED: every stream fails; FAIL_RELOAD: the VM is rebuilt). The stream that was running when the VM
   * trapped fails in all three — only `failOpen` lets it continue. Default FAIL_CLOSED (Envoy's UNSPECIFIED).
   */
  failurePolicy?: FailurePolicy;
  /**
   * The legacy PluginConfig `fail_open: true`: FAIL_OPEN for later streams and, unlike `failurePolicy`, the stream
   * that trapped continues too (Envoy hands only this bool to proxy-wasm's PluginBase fail_open_, which its
   * CHECK_FAIL reads). Envoy refuses a plugin that sets both.
   */
  failOpen?: boolean;
  /**
   * FAIL_RELOAD: PluginConfig `reload_config.backoff.base_interval` in ms (Envoy's default 1000). Envoy rebuilds a
   * failed VM only for a stream created at least a jittered [base, 1.5·base) after the plugin's last (re)load on
   * that worker — measured from the load, not from the trap; until then streams fail as under FAIL_CLOSED. The
   * emulator waits the longest, 1.5·base, so what it predicts outside the jitter window is what Envoy does.
   */
  reloadBackoffMs?: number;
  /** PluginConfig `allow_on_headers_stop_iteration`: headers Pause(1) stays StopIteration. Default false. */
  allowOnHeadersStopIteration?: boolean;
  /** `xds.listener_direction` for this plugin's listener. Default UNSPECIFIED. */
  listenerDirection?: "UNSPECIFIED" | "INBOUND" | "OUTBOUND";
}

/** What left a filter chain in one direction. `headers` is null until the headers got past every filter. */
export interface ForwardedMessage {
  headers: HeaderList | null;
  body: Uint8Array;
  readonly bodyText: string;
  trailers: HeaderList | null;
  /** The end of stream was forwarded. */
  endStream: boolean;
}

/** A local reply (proxy_send_local_response or a failure reply), as the filters produced it. */
export interface LocalResponse {
  status: number;
  /** Extra headers given by the module (lower-cased), in order. */
  headers: HeaderList;
  body: Uint8Array;
  readonly bodyText: string;
  /** Response code details (whitespace → '_'), e.g. "wasm_fail_stream". */
  details: string;
  /** gRPC status if one was given (0..16), else null. */
  grpcStatus: number | null;
}

export interface CapturedLog {
  level: LogLevelName;
  /** The module's message. */
  message: string;
  /** The line Envoy would print: "wasm log <name> <root_id> <vm_id>: <message>" (root contexts omit the name). */
  line: string;
  /** With Host({ workers }): the VM that logged — worker index, -1 canary, -2 base VM. */
  worker?: number;
}

export interface TrapRecord {
  plugin: string;
  vmId: string;
  /** Worker of the VM that trapped (0 without Host({ workers }); -1 canary, -2 base VM). */
  worker: number;
  /** The export that trapped, e.g. "proxy_on_request_headers". */
  callback: string;
  contextId: number;
  message: string;
}

export interface HttpCallRequest {
  token: number;
  cluster: string;
  headers: HeaderList;
  body: Uint8Array;
  trailers: HeaderList;
  timeoutMs: number;
  plugin: string;
  /** Worker of the calling VM (tokens are per VM); -1 = the configuration canary. */
  worker: number;
}

export interface HttpCallResponse {
  headers: HeaderList;
  body?: Uint8Array | string;
  trailers?: HeaderList;
}

/**
 * Answers a `proxy_http_call`. Return a response, "reset" (on_http_call_response with 0,0,0 and status
 * BrokenConnection), or undefined to leave the call pending (answer it later with `host.respondHttpCall`).
 * Answers are delivered after the hostcall's callback returns (asynchronously, as from Envoy's dispatcher).
 */
export type HttpCallResponder = (req: HttpCallRequest) => HttpCallResponse | "reset" | undefined;

export interface GrpcCallRequest {
  token: number;
  /** Cluster name (from a serialized GrpcService or the raw service argument). */
  cluster: string;
  service: string;
  method: string;
  metadata: HeaderList;
  message: Uint8Array;
  timeoutMs: number;
  plugin: string;
  /** Worker of the calling VM (tokens are per VM); -1 = the configuration canary. */
  worker: number;
}

export interface GrpcCallResponse {
  initialMetadata?: HeaderList;
  message?: Uint8Array | string;
  trailingMetadata?: HeaderList;
  /** gRPC status, default 0. */
  status?: number;
  statusMessage?: string;
}

export type GrpcCallResponder = (req: GrpcCallRequest) => GrpcCallResponse | undefined;

