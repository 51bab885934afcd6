// Building a local reply the way Envoy's Utility::prepareLocalReply does (envoy source/common/http/utility.cc):
// ":status", then the caller's modify_headers (the module's extra headers), then for gRPC requests a
// trailers-only response (":status" 200, content-type application/grpc, grpc-status unless already set,
// grpc-message = percent-encoded body, no content-length), otherwise content-length and a default
// content-type text/plain for a non-empty body (both removed for an empty body).
import { HeaderMap } from "./header-map.ts";

/** proxy_send_local_response as the module asked for it, applied after the VM call returns. */
export interface PendingLocalReply {
  status: number;
  details: string;
  body: Uint8Array;
  headers: Array<[string, string]>;
  grpcStatus: number | null;
}

/** Grpc::Utility::httpToGrpcStatus (envoy source/common/grpc/status.cc). */
export function httpToGrpcStatus(code: number): number {
  switch (code) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}

/** Envoy's PercentEncoding::encode for grpc-message: '%' and bytes outside printable ASCII. */
function percentEncode(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    if (b < 0x20 || b > 0x7e || b === 0x25) out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
    else out += String.fromCharCode(b);
  }
  return out;
}

/** HeaderMap set (inline headers keep their position when present, else are appended). */
function setHeader(h: HeaderMap, key: string, value: string): void {
  const i = h.keys.indexOf(key);
  if (i >= 0) {
    h.values[i] = value;
    for (let j = h.keys.length - 1; j > i; j--) if (h.keys[j] === key) { h.keys.splice(j, 1); h.values.splice(j, 1); }
  } else {
    h.add(key, value);
  }
}

export function buildLocalReply(reply: PendingLocalReply, isGrpc: boolean): { headers: HeaderMap; body: Uint8Array } {
  const h = new HeaderMap();
  h.add(":status", String(reply.status));
  for (const [k, v] of reply.headers) h.add(k, v);
  if (isGrpc) {
    setHeader(h, ":status", "200");
    setHeader(h, "content-type", "application/grpc");
    if (!h.get("grpc-status")) setHeader(h, "grpc-status", String(reply.grpcStatus ?? httpToGrpcStatus(reply.status)));
    if (reply.body.length) setHeader(h, "grpc-message", percentEncode(reply.body));
    h.remove("content-length");
    return { headers: h, body: new Uint8Array(0) };
  }
  if (reply.body.length) {
    setHeader(h, "content-length", String(reply.body.length));
    if (h.get("content-type") === undefined) setHeader(h, "content-type", "text/plain");
  } else {
    h.remove("content-length");
    h.remove("content-type");
  }
  return { headers: h, body: reply.body };
}
