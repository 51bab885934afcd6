// Enumerations and status codes of proxy-wasm ABI 0.2.1, with the numeric values Envoy uses
// (proxy-wasm-cpp-sdk proxy_wasm_common.h / proxy_wasm_enums.h; docs/envoy-facts.md: abi-enums).

/** Status returned by every host call. Non-Ok values are data, never traps. */
export enum WasmResult {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  BadExpression = 5,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  ResultMismatch = 9,
  InternalFailure = 10,
  BrokenConnection = 11,
  Unimplemented = 12,
}

export enum BufferType {
  HttpRequestBody = 0,
  HttpResponseBody = 1,
  DownstreamData = 2,
  UpstreamData = 3,
  HttpCallResponseBody = 4,
  GrpcReceiveBuffer = 5,
  VmConfiguration = 6,
  PluginConfiguration = 7,
  CallData = 8,
}

export enum MapType {
  RequestHeaders = 0,
  RequestTrailers = 1,
  ResponseHeaders = 2,
  ResponseTrailers = 3,
  GrpcReceiveInitialMetadata = 4,
  GrpcReceiveTrailingMetadata = 5,
  HttpCallResponseHeaders = 6,
  HttpCallResponseTrailers = 7,
}

export enum StreamType {
  Request = 0,
  Response = 1,
  Downstream = 2,
  Upstream = 3,
}

export enum MetricType {
  Counter = 0,
  Gauge = 1,
  Histogram = 2,
}

/** Who closed a connection (argument of the *_connection_close callbacks). */
export enum PeerType {
  Unknown = 0,
  Local = 1,
  Remote = 2,
}

/** Envoy maps these directly onto spdlog levels; `proxy_get_log_level` may also report Off (6). */
export enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
  Off = 6,
}

/** Result of on_request_headers / on_response_headers. */
export enum FilterHeadersStatus {
  Continue = 0,
  /** Envoy turns this into StopAllIterationAndWatermark unless the plugin sets allow_on_headers_stop_iteration. */
  StopIteration = 1,
  /** Envoy treats this as Continue. */
  ContinueAndEndStream = 2,
  StopAllIterationAndBuffer = 3,
  StopAllIterationAndWatermark = 4,
}

/** Result of on_request_body / on_response_body. */
export enum FilterDataStatus {
  Continue = 0,
  /** Envoy buffers the body and calls again with the accumulated size. */
  StopIterationAndBuffer = 1,
  StopIterationAndWatermark = 2,
  StopIterationNoBuffer = 3,
}

/** Result of on_request_trailers / on_response_trailers. */
export enum FilterTrailersStatus {
  Continue = 0,
  StopIteration = 1,
}

/** Result of the network callbacks (on_new_connection, on_downstream_data, on_upstream_data). */
export enum FilterStatus {
  Continue = 0,
  /** Do not return this from onUpstreamData: Envoy cannot resume the write path (continue(Upstream) is Unimplemented). */
  StopIteration = 1,
}

/** gRPC status codes; `proxy_send_local_response` treats anything outside 0..16 as "no grpc-status". */
export enum GrpcStatus {
  Ok = 0,
  Cancelled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
  None = -1,
}

/** Filter-state life span used by set_envoy_filter_state and declare_property (Envoy's LifeSpan enum). */
export enum LifeSpan {
  FilterChain = 0,
  Request = 1,
  Connection = 2,
}

/** Value type of a property declared with declare_property (Envoy's WasmType enum). */
export enum WasmType {
  Bytes = 0,
  String = 1,
  FlatBuffers = 2,
  Protobuf = 3,
}
