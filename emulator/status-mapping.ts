// How the host maps a module's callback result to Envoy filter statuses
// (proxy-wasm-cpp-host src/context.cc convertVmCallResultTo*; envoy context.cc convertFilter*Status).
import { HeadersStatus, DataStatus, TrailersStatus } from "./constants.ts";

/** Headers: >4 or after a local reply → StopAllIterationAndWatermark; 1 → StopAll…Watermark unless allowed; 2 → Continue. */
export function mapHeadersStatus(raw: number, stopped: boolean, allowStopIteration: boolean): number {
  const r = raw >>> 0;
  if (stopped || r > HeadersStatus.StopAllIterationAndWatermark) return HeadersStatus.StopAllIterationAndWatermark;
  if (r === HeadersStatus.StopIteration && !allowStopIteration) return HeadersStatus.StopAllIterationAndWatermark;
  if (r === HeadersStatus.ContinueAndDontEndStream) return HeadersStatus.Continue; // envoy convertFilterHeadersStatus default
  return r;
}

/** Body: >3 or after a local reply → StopIterationNoBuffer. */
export function mapDataStatus(raw: number, stopped: boolean): number {
  const r = raw >>> 0;
  if (stopped || r > DataStatus.StopIterationNoBuffer) return DataStatus.StopIterationNoBuffer;
  return r;
}

/** Trailers: >1 or after a local reply → StopIteration. */
export function mapTrailersStatus(raw: number, stopped: boolean): number {
  const r = raw >>> 0;
  if (stopped || r > TrailersStatus.StopIteration) return TrailersStatus.StopIteration;
  return r;
}
