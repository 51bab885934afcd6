// The floor: hand-written no-op proxy-wasm modules (bench/floor/<shape>.wat, compiled with wabt) that export
// exactly the callbacks a scenario's lifecycle reaches and return Continue without any host call. Driving the
// same operation through them measures what the emulator itself costs, which the filters' time is divided by.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compileWat } from "../test/emulator/wat.ts";
import type { Shape } from "./scenarios.ts";

const cache = new Map<Shape, Uint8Array>();

export async function floorModule(shape: Shape): Promise<Uint8Array> {
  let bytes = cache.get(shape);
  if (!bytes) {
    const path = fileURLToPath(new URL(`./floor/${shape}.wat`, import.meta.url));
    bytes = await compileWat(readFileSync(path, "utf8"), `${shape}.wat`);
    cache.set(shape, bytes);
  }
  return bytes;
}

/** Exports that are not per-operation callbacks (load, start and configure). */
const NOT_PER_OPERATION = new Set(["memory", "malloc", "proxy_abi_version_0_2_1", "proxy_on_vm_start", "proxy_on_configure"]);

/** The per-operation callbacks a floor module exports. */
export function floorCallbacks(bytes: Uint8Array): Set<string> {
  const names = WebAssembly.Module.exports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).map((e) => e.name);
  return new Set(names.filter((n) => !NOT_PER_OPERATION.has(n)));
}
