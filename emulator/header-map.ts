// An Envoy header map: lower-cased keys, insertion order with pseudo-headers kept before regular headers
// (envoy source/common/http/header_map_impl.h HeaderList::insert), duplicates allowed.
import type { HeaderList } from "./types.ts";

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

  constructor(init?: ReadonlyArray<readonly [string, string]>) {
    if (!init) return;
    const n = init.length;
    const keys = new Array<string>(n);
    const values = new Array<string>(n);
    let regularSeen = false, ordered = true;
    for (let i = 0; i < n; i++) {
      const k = lower(init[i][0]);
      if (k.charCodeAt(0) !== 58) regularSeen = true;
      else if (regularSeen) ordered = false;
      keys[i] = k;
      values[i] = init[i][1];
    }
    if (ordered) {
      this.keys = keys;
      this.values = values;
    } else {
      for (let i = 0; i < n; i++) this.add(keys[i], values[i]);
    }
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

  add(key: string, value: string): void {
    const k = lower(key);
    if (k.charCodeAt(0) === 58 /* ':' */) {
      let at = 0;
      const n = this.keys.length;
      while (at < n && this.keys[at].charCodeAt(0) === 58) at++;
      if (at === n) {
        this.keys.push(k);
        this.values.push(value);
      } else {
        this.keys.splice(at, 0, k);
        this.values.splice(at, 0, value);
      }
    } else {
      this.keys.push(k);
      this.values.push(value);
    }
  }

  remove(key: string): void {
    const k = lower(key);
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
