// An Envoy header map: lower-cased keys, insertion order with pseudo-headers kept before regular headers
// (envoy source/common/http/header_map_impl.h HeaderList::insert), duplicates allowed.
import type { HeaderList, RawHeaderList } from "./types.ts";
import { bytesToString } from "./memory.ts";

/** Lower-case a header name; most names already are, so avoid allocating a new string for them. */
function lower(key: string): string {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return key.toLowerCase();
  }
  return key;
}

export class HeaderMap {
  keys: string[] = [];
  values: string[] = [];
  /**
   * Envoy header values are bytes, not text: a value given as bytes (a test sending what a hostile client can,
   * e.g. invalid UTF-8) is handed to the module exactly; `values` holds its lossy text for JS readers.
   */
  raw: Array<Uint8Array | undefined> = [];

  constructor(init?: RawHeaderList) {
    if (!init) return;
    const n = init.length;
    const keys = new Array<string>(n);
    const values = new Array<string>(n);
    const raw = new Array<Uint8Array | undefined>(n);
    let regularSeen = false, ordered = true;
    for (let i = 0; i < n; i++) {
      const k = lower(init[i][0]);
      if (k.charCodeAt(0) !== 58) regularSeen = true;
      else if (regularSeen) ordered = false;
      keys[i] = k;
      const v = init[i][1];
      values[i] = typeof v === "string" ? v : bytesToString(v);
      raw[i] = typeof v === "string" ? undefined : v;
    }
    if (ordered) {
      this.keys = keys;
      this.values = values;
      this.raw = raw;
    } else {
      for (let i = 0; i < n; i++) this.add(keys[i], values[i], raw[i]);
    }
  }

  /** The value bytes of entry i as the module receives them. */
  bytesAt(i: number): string | Uint8Array {
    return this.raw[i] ?? this.values[i];
  }

  /** The first value of `key` as bytes for the module, or undefined. */
  getBytes(key: string): string | Uint8Array | undefined {
    const i = this.keys.indexOf(lower(key));
    return i < 0 ? undefined : this.bytesAt(i);
  }

  get size(): number { return this.keys.length; }

  /** Envoy's getHeaderMapSize: sum of key and value byte lengths (envoy source/extensions/common/wasm/context.cc). */
  byteSize(): number {
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) n += Buffer.byteLength(this.keys[i]) + Buffer.byteLength(this.values[i]);
    return n;
  }

  get(key: string): string | undefined {
    const k = lower(key);
    const i = this.keys.indexOf(k);
    return i < 0 ? undefined : this.values[i];
  }

  getAll(key: string): string[] {
    const k = lower(key);
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === k) out.push(this.values[i]);
    return out;
  }

  add(key: string, value: string, raw?: Uint8Array): void {
    const k = lower(key);
    if (k.charCodeAt(0) === 58 /* ':' */) {
      let at = 0;
      const n = this.keys.length;
      while (at < n && this.keys[at].charCodeAt(0) === 58) at++;
      if (at === n) {
        this.keys.push(k);
        this.values.push(value);
        this.raw.push(raw);
      } else {
        this.keys.splice(at, 0, k);
        this.values.splice(at, 0, value);
        this.raw.splice(at, 0, raw);
      }
    } else {
      this.keys.push(k);
      this.values.push(value);
      this.raw.push(raw);
    }
  }

  remove(key: string): void {
    const k = lower(key);
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] === k) { this.keys.splice(i, 1); this.values.splice(i, 1); this.raw.splice(i, 1); }
    }
  }

  /** Envoy setCopy: remove all values of the key, then append one. */
  replace(key: string, value: string): void {
    this.remove(key);
    this.add(key, value);
  }

  clear(): void { this.keys.length = 0; this.values.length = 0; this.raw.length = 0; }

  toList(): HeaderList {
    const out: HeaderList = new Array(this.keys.length);
    for (let i = 0; i < this.keys.length; i++) out[i] = [this.keys[i], this.values[i]];
    return out;
  }

  clone(): HeaderMap {
    const m = new HeaderMap();
    m.keys = this.keys.slice();
    m.values = this.values.slice();
    m.raw = this.raw.slice();
    return m;
  }
}
