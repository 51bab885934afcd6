// An Envoy header map: lower-cased keys, insertion order with pseudo-headers kept before regular headers
// (envoy source/common/http/header_map_impl.h HeaderList::insert), duplicates allowed.
import type { HeaderList } from "./index.ts";

export class HeaderMap {
  keys: string[] = [];
  values: string[] = [];

  constructor(init?: ReadonlyArray<readonly [string, string]>) {
    if (init) for (let i = 0; i < init.length; i++) this.add(init[i][0], init[i][1]);
  }

  get size(): number { return this.keys.length; }

  /** Envoy's getHeaderMapSize: sum of key and value byte lengths (envoy source/extensions/common/wasm/context.cc). */
  byteSize(): number {
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) n += Buffer.byteLength(this.keys[i]) + Buffer.byteLength(this.values[i]);
    return n;
  }

  get(key: string): string | undefined {
    const k = key.toLowerCase();
    const i = this.keys.indexOf(k);
    return i < 0 ? undefined : this.values[i];
  }

  getAll(key: string): string[] {
    const k = key.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === k) out.push(this.values[i]);
    return out;
  }

  add(key: string, value: string): void {
    const k = key.toLowerCase();
    if (k.charCodeAt(0) === 58 /* ':' */) {
      let at = 0;
      while (at < this.keys.length && this.keys[at].charCodeAt(0) === 58) at++;
      this.keys.splice(at, 0, k);
      this.values.splice(at, 0, value);
    } else {
      this.keys.push(k);
      this.values.push(value);
    }
  }

  remove(key: string): void {
    const k = key.toLowerCase();
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] === k) { this.keys.splice(i, 1); this.values.splice(i, 1); }
    }
  }

  /** Envoy setCopy: remove all values of the key, then append one. */
  replace(key: string, value: string): void {
    this.remove(key);
    this.add(key, value);
  }

  clear(): void { this.keys.length = 0; this.values.length = 0; }

  toList(): HeaderList {
    const out: HeaderList = new Array(this.keys.length);
    for (let i = 0; i < this.keys.length; i++) out[i] = [this.keys[i], this.values[i]];
    return out;
  }

  clone(): HeaderMap {
    const m = new HeaderMap();
    m.keys = this.keys.slice();
    m.values = this.values.slice();
    return m;
  }
}
