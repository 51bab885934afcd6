// A mutable body/data buffer with Envoy's restricted edit model
// (envoy source/extensions/common/wasm/context.cc Buffer::copyFrom).
import { WasmResult } from "./constants.ts";

const EMPTY = new Uint8Array(0);

export class BodyBuffer {
  data: Uint8Array;
  constructor(data?: Uint8Array) { this.data = data ?? EMPTY; }
  get length(): number { return this.data.length; }

  append(more: Uint8Array): void {
    if (more.length === 0) return;
    if (this.data.length === 0) { this.data = more.slice(); return; }
    const out = new Uint8Array(this.data.length + more.length);
    out.set(this.data); out.set(more, this.data.length);
    this.data = out;
  }

  /**
   * proxy_set_buffer_bytes: start 0 → drain `size` bytes then prepend; start ≥ length → append;
   * anything in between → BadArgument (no mid-buffer splice, unlike the spec).
   */
  copyFrom(start: number, size: number, value: Uint8Array): number {
    const len = this.data.length;
    if (start === 0) {
      const drain = Math.min(size, len);
      const rest = this.data.subarray(drain);
      const out = new Uint8Array(value.length + rest.length);
      out.set(value); out.set(rest, value.length);
      this.data = out;
      return WasmResult.Ok;
    }
    if (start >= len) { this.append(value); return WasmResult.Ok; }
    return WasmResult.BadArgument;
  }

  drainAll(): Uint8Array { const d = this.data; this.data = EMPTY; return d; }
}
