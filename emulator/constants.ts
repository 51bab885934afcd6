// Numeric values of the proxy-wasm ABI enums as Envoy uses them
// (proxy-wasm/proxy-wasm-cpp-sdk proxy_wasm_common.h, proxy_wasm_enums.h).

export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  BadExpression: 5,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  ResultMismatch: 9,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
} as const;

export const MapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
  GrpcReceiveInitialMetadata: 4,
  GrpcReceiveTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;

export const StreamType = { Request: 0, Response: 1, Downstream: 2, Upstream: 3 } as const;
export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2 } as const;
export const PeerType = { Unknown: 0, Local: 1, Remote: 2 } as const;

/** proxy_log levels 0..5 and spdlog "off" (6). */
export const LOG_LEVEL_NAMES = ["trace", "debug", "info", "warn", "error", "critical", "off"] as const;

// Envoy's Http filter statuses (envoy/http/filter.h), used for the host-side mapping.
export const HeadersStatus = {
  Continue: 0,
  StopIteration: 1,
  ContinueAndDontEndStream: 2,
  StopAllIterationAndBuffer: 3,
  StopAllIterationAndWatermark: 4,
} as const;
export const DataStatus = {
  Continue: 0,
  StopIterationAndBuffer: 1,
  StopIterationAndWatermark: 2,
  StopIterationNoBuffer: 3,
} as const;
export const TrailersStatus = { Continue: 0, StopIteration: 1 } as const;
