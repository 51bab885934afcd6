// Compiles an AssemblyScript test entry (test/lib/assembly/<name>.ts) and calls its exports with JS strings,
// without a proxy-wasm host: the only import is a stub `env.proxy_log`, which the abort handler uses.
import { readFileSync } from "node:fs";
import { compileAssemblyScript } from "../../scripts/asc.mjs";
import { libProbe } from "../probes.ts";

const STRING_CLASS_ID = 2; // idof<string>() in AssemblyScript
const ARRAYBUFFER_CLASS_ID = 1; // idof<ArrayBuffer>()

type Arg = string | number | boolean | Uint8Array;

/** What the test entries return (as a string result) where the function under test returned null. */
export const NULL = "!null";

interface Exports {
  memory: WebAssembly.Memory;
  _initialize?: () => void;
  __new: (size: number, id: number) => number;
  __collect: () => void;
  [name: string]: unknown;
}

export interface AsModule {
  /** Calls export `name` and reads its result as an AssemblyScript string. */
  str(name: string, ...args: Arg[]): string;
  /** Calls export `name` and returns its numeric result (i32/bool as number). */
  num(name: string, ...args: Arg[]): number;
  /** Messages the module logged through env.proxy_log (abort reports). */
  logs: string[];
}

export async function loadAsModule(entry: string): Promise<AsModule> {
  const probe = libProbe(entry);
  const { outFile } = await compileAssemblyScript(probe.entry, probe.outFile, probe.options);
  const logs: string[] = [];
  let memory: WebAssembly.Memory | undefined;
  const module = new WebAssembly.Module(readFileSync(outFile));
  const instance = new WebAssembly.Instance(module, {
    env: {
      proxy_log(_level: number, ptr: number, size: number): number {
        if (memory) logs.push(new TextDecoder().decode(new Uint8Array(memory.buffer, ptr, size)));
        return 0;
      },
    },
  });
  const ex = instance.exports as unknown as Exports;
  memory = ex.memory;
  ex._initialize?.();

  const toWasm = (arg: Arg): number => {
    if (typeof arg === "number") return arg;
    if (typeof arg === "boolean") return arg ? 1 : 0;
    if (typeof arg === "string") {
      const ptr = ex.__new(arg.length * 2, STRING_CLASS_ID);
      const view = new Uint16Array(ex.memory.buffer, ptr, arg.length);
      for (let i = 0; i < arg.length; i++) view[i] = arg.charCodeAt(i);
      return ptr;
    }
    const ptr = ex.__new(arg.length, ARRAYBUFFER_CLASS_ID);
    new Uint8Array(ex.memory.buffer, ptr, arg.length).set(arg);
    return ptr;
  };
  const readString = (ptr: number): string => {
    const byteLength = new Uint32Array(ex.memory.buffer, ptr - 4, 1)[0];
    const units = new Uint16Array(ex.memory.buffer, ptr, byteLength >>> 1);
    let out = "";
    for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode(...units.subarray(i, i + 4096));
    return out;
  };
  const call = (name: string, args: Arg[]): number => {
    const fn = ex[name];
    if (typeof fn !== "function") throw new Error(`export ${name} missing from ${entry}.wasm`);
    // Arguments are allocated first, then the call runs; nothing is collected while pointers are live.
    const raw = args.map(toWasm);
    return (fn as (...a: number[]) => number)(...raw);
  };
  return {
    logs,
    str(name, ...args) {
      const result = readString(call(name, args));
      ex.__collect();
      return result;
    },
    num(name, ...args) {
      const result = call(name, args);
      ex.__collect();
      return result;
    },
  };
}
