// Shared queues keyed by (vm_id, name) (proxy-wasm-cpp-host src/shared_queue.cc): tokens from 1;
// register re-binds the notification target to the caller's root context; enqueue to an unknown token →
// NotFound; dequeue from an empty queue → Empty.
import { WasmResult } from "./constants.ts";

/** `R` is the root context type notified of new items (kept opaque here). */
interface Queue<R> { vmId: string; name: string; items: Uint8Array[]; target: R }

export class SharedQueues<R> {
  private byKey = new Map<string, number>();
  private byToken = new Map<number, Queue<R>>();
  private nextToken = 1;

  register(vmId: string, name: string, root: R): number {
    const key = `${vmId}\u0000${name}`;
    let token = this.byKey.get(key);
    if (token === undefined) {
      token = this.nextToken++;
      this.byKey.set(key, token);
      this.byToken.set(token, { vmId, name, items: [], target: root });
    } else {
      this.byToken.get(token)!.target = root;
    }
    return token;
  }

  resolve(vmId: string, name: string): number {
    return this.byKey.get(`${vmId}\u0000${name}`) ?? 0;
  }

  enqueue(token: number, value: Uint8Array): { result: number; target: R | null } {
    const q = this.byToken.get(token);
    if (!q) return { result: WasmResult.NotFound, target: null };
    q.items.push(value.slice());
    return { result: WasmResult.Ok, target: q.target };
  }

  dequeue(token: number): { result: number; value: Uint8Array | null } {
    const q = this.byToken.get(token);
    if (!q) return { result: WasmResult.NotFound, value: null };
    const v = q.items.shift();
    if (!v) return { result: WasmResult.Empty, value: null };
    return { result: WasmResult.Ok, value: v };
  }
}
