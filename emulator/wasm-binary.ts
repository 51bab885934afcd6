// Minimal reader of a Wasm binary's type, import, function and export sections: enough to check import
// and export signatures the way proxy-wasm-cpp-host's V8 link step does (src/v8/v8.cc link,
// getModuleFunctionImpl) and to find the ABI marker in export order (src/bytecode_util.cc getAbiVersion).

export interface FuncSig { params: string; results: string } // e.g. params "i32 i64", results "i32" / "void"
export interface ImportEntry { module: string; name: string; kind: number; sig?: FuncSig; minPages?: number }
export interface ExportEntry { name: string; kind: number; index: number; sig?: FuncSig }
export interface ModuleShape { imports: ImportEntry[]; exports: ExportEntry[]; hasStartSection: boolean }

const VAL: Record<number, string> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x70: "funcref", 0x6f: "externref", 0x7b: "v128" };

export function readModuleShape(bytes: Uint8Array): ModuleShape {
  let pos = 8;
  const u32 = (): number => {
    let result = 0, shift = 0, b: number;
    do { b = bytes[pos++]; result |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    return result >>> 0;
  };
  const name = (): string => { const n = u32(); const s = Buffer.from(bytes.subarray(pos, pos + n)).toString("utf8"); pos += n; return s; };
  const limits = (): number => { const flags = u32(); const min = u32(); if (flags & 1) u32(); return min; };
  const types: FuncSig[] = [];
  const funcTypes: number[] = []; // type index per function index (imports first)
  const imports: ImportEntry[] = [];
  const exports: ExportEntry[] = [];
  let hasStartSection = false;
  while (pos < bytes.length) {
    const id = bytes[pos++];
    const size = u32();
    const end = pos + size;
    if (id === 1) {
      const n = u32();
      for (let i = 0; i < n; i++) {
        pos++; // 0x60
        const np = u32(); const ps: string[] = [];
        for (let j = 0; j < np; j++) ps.push(VAL[bytes[pos++]] ?? "unknown");
        const nr = u32(); const rs: string[] = [];
        for (let j = 0; j < nr; j++) rs.push(VAL[bytes[pos++]] ?? "unknown");
        types.push({ params: ps.length ? ps.join(" ") : "void", results: rs.length ? rs.join(" ") : "void" });
      }
    } else if (id === 2) {
      const n = u32();
      for (let i = 0; i < n; i++) {
        const module = name(); const nm = name(); const kind = bytes[pos++];
        const e: ImportEntry = { module, name: nm, kind };
        if (kind === 0) { const t = u32(); e.sig = types[t]; funcTypes.push(t); }
        else if (kind === 1) { pos++; limits(); }
        else if (kind === 2) { e.minPages = limits(); }
        else if (kind === 3) { pos += 2; }
        else if (kind === 4) { pos++; u32(); }
        imports.push(e);
      }
    } else if (id === 3) {
      const n = u32();
      for (let i = 0; i < n; i++) funcTypes.push(u32());
    } else if (id === 7) {
      const n = u32();
      for (let i = 0; i < n; i++) {
        const nm = name(); const kind = bytes[pos++]; const index = u32();
        const e: ExportEntry = { name: nm, kind, index };
        if (kind === 0) e.sig = types[funcTypes[index]];
        exports.push(e);
      }
    } else if (id === 8) {
      hasStartSection = true;
    }
    pos = end;
  }
  return { imports, exports, hasStartSection };
}
