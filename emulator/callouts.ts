// HTTP and gRPC callouts answered by test responders (envoy context.cc httpCall/grpcCall/grpcStream,
// onHttpCallSuccess/onHttpCallFailure, onGrpc*): tokens per VM (http 4, 8…; grpc calls 5, 9…; streams 6, 10…),
// responses delivered to the root context after the issuing VM call returned. Tokens repeat across VMs
// (one VM per worker), so pending calls are keyed by VM and token.
import type { HttpCallRequest, GrpcCallRequest } from "./types.ts";

/** What the callouts need of a VM: its serial number (tokens repeat across VMs). */
interface CalloutVm { readonly serial: number }

/** `R` is the root context type the answer goes to (only its VM is looked at here). */
export interface PendingHttpCall<R> { root: R; request: HttpCallRequest }
export interface PendingGrpcCall<R> { root: R; request: GrpcCallRequest; stream: boolean; messages: Uint8Array[]; closedLocal: boolean }

export class Callouts<R extends { readonly vm: CalloutVm }> {
  readonly http = new Map<string, PendingHttpCall<R>>();
  readonly grpc = new Map<string, PendingGrpcCall<R>>();
  /** Calls made so far, for assertions. */
  readonly httpLog: HttpCallRequest[] = [];
  readonly grpcLog: GrpcCallRequest[] = [];

  static key(vm: CalloutVm, token: number): string { return `${vm.serial}:${token}`; }

  /** The key of the pending call with this token (on this worker, if given); throws if none or ambiguous. */
  static find<T extends { request: { token: number; worker: number } }>(
    calls: Map<string, T>, token: number, worker: number | undefined, kind: string,
  ): string {
    let found: string | null = null;
    for (const [key, call] of calls) {
      if (call.request.token !== token || (worker !== undefined && call.request.worker !== worker)) continue;
      if (found !== null) throw new Error(`several pending ${kind} calls have token ${token}: pass the worker`);
      found = key;
    }
    if (found === null) throw new Error(`no pending ${kind} call with token ${token}`);
    return found;
  }

  /** A VM went away (canary killed): its contexts' requests are cancelled (envoy Context::~Context). */
  dropVm(vm: CalloutVm): void {
    for (const [key, call] of this.http) if (call.root.vm === vm) this.http.delete(key);
    for (const [key, call] of this.grpc) if (call.root.vm === vm) this.grpc.delete(key);
  }
}

/** Minimal parse of a serialized envoy.config.core.v3.GrpcService: envoy_grpc (1) { cluster_name (1) }. */
export function clusterFromGrpcService(bytes: Uint8Array): string | null {
  const read = (buf: Uint8Array, want: number): Uint8Array | null | undefined => {
    let pos = 0;
    const varint = (): number | null => {
      let r = 0, shift = 0;
      for (;;) {
        if (pos >= buf.length || shift > 35) return null;
        const b = buf[pos++];
        r += (b & 0x7f) * 2 ** shift;
        if (!(b & 0x80)) return r;
        shift += 7;
      }
    };
    let found: Uint8Array | undefined;
    while (pos < buf.length) {
      const key = varint();
      if (key === null) return null;
      const wire = key & 7, num = Math.floor(key / 8);
      if (num === 0) return null;
      if (wire === 2) {
        const len = varint();
        if (len === null || pos + len > buf.length) return null;
        if (num === want) found = buf.subarray(pos, pos + len);
        pos += len;
      } else if (wire === 0) { if (varint() === null) return null; }
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else return null;
    }
    if (pos !== buf.length) return null;
    return found;
  };
  const envoyGrpc = read(bytes, 1);
  if (!envoyGrpc) return null;
  const cluster = read(envoyGrpc, 1);
  return cluster ? Buffer.from(cluster).toString("utf8") : null;
}
