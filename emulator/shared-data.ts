// Process-wide shared key/value store partitioned by vm_id (proxy-wasm-cpp-host src/shared_data.cc):
// CAS values start at 1 and increase on every set (0 skipped); cas 0 = unconditional; mismatch → CasMismatch.
import { WasmResult } from "./constants.ts";

export class SharedData {
  private data = new Map<string, Map<string, { value: Uint8Array; cas: number }>>();
  private nextCas = 1;

  get(vmId: string, key: string): { value: Uint8Array; cas: number } | null {
    return this.data.get(vmId)?.get(key) ?? null;
  }

  set(vmId: string, key: string, value: Uint8Array, cas: number): number {
    let m = this.data.get(vmId);
    if (!m) this.data.set(vmId, (m = new Map()));
    const existing = m.get(key);
    if (existing && cas !== 0 && cas !== existing.cas) return WasmResult.CasMismatch;
    const next = this.nextCas++;
    if (this.nextCas === 0) this.nextCas = 1;
    m.set(key, { value: value.slice(), cas: next });
    return WasmResult.Ok;
  }
}
