// Access to a module's linear memory with cached views. Views are refreshed whenever the underlying
// ArrayBuffer changes (memory.grow detaches it), which can happen inside any re-entrant malloc call.

const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/** Decode bytes as UTF-8 with a fast path for pure ASCII (the common case for headers and paths). */
export function bytesToString(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const len = end - start;
  if (len <= 0) return "";
  if (len < 64) {
    let ascii = true;
    for (let i = start; i < end; i++) if (bytes[i] > 0x7f) { ascii = false; break; }
    if (ascii) {
      let s = "";
      for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
      return s;
    }
  }
  return decoder.decode(bytes.subarray(start, end));
}

/** Encode a string as UTF-8, fast for short ASCII. */
export function stringToBytes(s: string): Uint8Array {
  const n = s.length;
  if (n < 64) {
    let ascii = true;
    for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) { ascii = false; break; }
    if (ascii) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = s.charCodeAt(i);
      return out;
    }
  }
  return encoder.encode(s);
}

export function toBytes(v: string | Uint8Array | undefined | null): Uint8Array {
  if (v == null) return new Uint8Array(0);
  return typeof v === "string" ? stringToBytes(v) : v;
}

export class WasmMemory {
  memory!: WebAssembly.Memory;
  private buffer: ArrayBuffer | null = null;
  u8!: Uint8Array;
  dv!: DataView;

  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.refresh();
  }

  /** Re-create views if the memory grew. Cheap when nothing changed. */
  refresh(): void {
    const b = this.memory.buffer as ArrayBuffer;
    if (b !== this.buffer) {
      this.buffer = b;
      this.u8 = new Uint8Array(b);
      this.dv = new DataView(b);
    }
  }

  inRange(ptr: number, len: number): boolean {
    this.refresh();
    return ptr >= 0 && len >= 0 && ptr + len <= this.u8.length;
  }

  /** A view (not a copy) of module memory, or null if out of range (→ InvalidMemoryAccess). */
  view(ptr: number, len: number): Uint8Array | null {
    ptr >>>= 0; len >>>= 0;
    if (!this.inRange(ptr, len)) return null;
    return this.u8.subarray(ptr, ptr + len);
  }

  copy(ptr: number, len: number): Uint8Array | null {
    const v = this.view(ptr, len);
    return v ? v.slice() : null;
  }

  string(ptr: number, len: number): string | null {
    ptr >>>= 0; len >>>= 0;
    if (!this.inRange(ptr, len)) return null;
    return bytesToString(this.u8, ptr, ptr + len);
  }

  writeU32(ptr: number, value: number): boolean {
    ptr >>>= 0;
    if (!this.inRange(ptr, 4)) return false;
    this.dv.setUint32(ptr, value >>> 0, true);
    return true;
  }

  writeU64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    if (!this.inRange(ptr, 8)) return false;
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  write(ptr: number, data: Uint8Array): boolean {
    ptr >>>= 0;
    if (!this.inRange(ptr, data.length)) return false;
    this.u8.set(data, ptr);
    return true;
  }

  readU32(ptr: number): number {
    this.refresh();
    return this.dv.getUint32(ptr >>> 0, true);
  }
}
