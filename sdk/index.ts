// Public API of the ambient-wasm AssemblyScript SDK. Filters import from here:
//   import { RootContext, HttpContext, registerRootContext, requestHeaders, log, ... } from "../../sdk";
// and their entry file must also `export * from "../../sdk/exports";` (see sdk/README.md).
export * from "./types";
export { HeaderPair } from "./pairs";
export { RootContext, HttpContext, TcpContext, StreamContext, Context, registerRootContext, RootContextFactory } from "./contexts";
export {
  HeaderMap, HeaderSnapshot, requestHeaders, requestTrailers, responseHeaders, responseTrailers, httpCallResponseHeaders,
  httpCallResponseTrailers, grpcReceiveInitialMetadata, grpcReceiveTrailingMetadata,
} from "./headers";
export {
  HostBuffer, requestBody, responseBody, downstreamData, upstreamData, httpCallResponseBody, grpcReceiveBuffer,
  vmConfiguration, pluginConfiguration,
} from "./buffers";
export {
  getProperty, getPropertyString, getPropertyInt64, getPropertyBool, getPropertyDouble, getPropertyMap,
  setProperty, setPropertyString, decodeString, decodeInt64, decodeBool, decodeDouble, decodeMap,
} from "./properties";
export { setEnvoyFilterState, declareProperty, clearRouteCache } from "./filter-state";
export { Counter, Gauge, Histogram } from "./metrics";
export { log } from "./log";
export {
  lastStatus, getCurrentTimeNanoseconds, callForeignFunction, getCalloutStatus, lastCalloutStatusMessage,
  SharedData, getSharedData, setSharedData, registerSharedQueue, resolveSharedQueue, enqueueSharedQueue, dequeueSharedQueue,
  grpcSend, grpcCancel, grpcClose, setEffectiveContext, defineMetric, incrementMetric, recordMetric, getMetric,
} from "./hostcalls";
export { setCollectInterval } from "./dispatcher";
export { formatInt } from "./format";
