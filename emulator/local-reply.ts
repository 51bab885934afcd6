// Building a local reply the way Envoy's Http::Utility::prepareLocalReply does (source/common/http/utility.cc):
// ":status", then content-length/content-type for a non-empty body, then the caller's modify_headers;
// for gRPC requests a trailers-only response (":status" 200, grpc-status, grpc-message = body).
import { HeaderMap } from "./header-map.ts";
import type { PendingLocalReply } from "./context.ts";

/** Http::Utility::httpToGrpcStatus (source/common/grpc/status.cc). */
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

export function buildLocalReply(reply: PendingLocalReply, isGrpc: boolean): { headers: HeaderMap; body: Uint8Array } {
  const h = new HeaderMap();
  if (isGrpc) {
    h.add(":status", "200");
    h.add("content-type", "application/grpc");
    h.add("grpc-status", String(reply.grpcStatus ?? httpToGrpcStatus(reply.status)));
    if (reply.body.length) h.add("grpc-message", Buffer.from(reply.body).toString("utf8"));
    for (const [k, v] of reply.headers) h.add(k, v);
    return { headers: h, body: new Uint8Array(0) };
  }
  h.add(":status", String(reply.status));
  if (reply.body.length) {
    h.add("content-length", String(reply.body.length));
    h.add("content-type", "text/plain");
  }
  for (const [k, v] of reply.headers) h.add(k, v);
  return { headers: h, body: reply.body };
}
