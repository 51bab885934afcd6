// sdk/headers.ts HeaderSnapshot: several reads from one get_header_map_pairs, edits written back by one
// set_header_map_pairs with the same result as Envoy's replace/remove one by one; sdk/pairs.ts pairsAreUtf8
// decides whether that round trip is byte-exact (else commit falls back to one call per edit).
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Host } from "../../emulator/index.ts";
import { GET, buildModule, value, values } from "./helpers.ts";
import { compileAssemblyScript } from "../../scripts/asc.mjs";
import { sdkProbeWithRuntimeExports } from "../probes.ts";

const ENTRY = "test/sdk/assembly/header-snapshot.ts";
let module: string;
beforeAll(async () => {
  module = await buildModule(ENTRY);
});

/** The request headers as forwarded, and the host calls the request made. */
async function send(request: Array<[string, string]>) {
  const host = new Host({ logLevel: "info", countHostCalls: true });
  const plugin = await host.loadPlugin({ module });
  host.hostCalls!.reset();
  const s = host.httpStream({ filters: [plugin] });
  s.sendRequestHeaders(request, true);
  expect(host.traps).toEqual([]);
  return { h: s.upstreamRequest.headers, calls: host.hostCalls! };
}

describe("HeaderSnapshot", () => {
  it("reads every header from one call and commits all edits with one more", async () => {
    const { h, calls } = await send([...GET("/p"), ["x-strip", "1"], ["x-replace", "old1"], ["x-keep", "k"], ["x-strip", "2"], ["x-replace", "old2"]]);
    expect(value(h, "x-seen-path")).toBe("/p");
    expect(value(h, "x-seen-has-strip")).toBe("yes");
    expect(value(h, "x-seen-after-remove")).toBe("gone");
    expect(values(h, "x-strip")).toEqual([]);
    expect(values(h, "x-replace")).toEqual(["new"]);
    expect(value(h, "x-keep")).toBe("k");
    // same entries, same order as Envoy's replace/remove one by one: untouched headers keep their places,
    // every replaced one is appended in the order of the edits
    expect(h).toEqual([...GET("/p"), ["x-keep", "k"], ["x-seen-path", "/p"], ["x-seen-has-strip", "yes"], ["x-replace", "new"],
      ["x-seen-after-remove", "gone"]]);
    expect(calls.get("env.proxy_get_header_map_pairs")).toBe(1);
    expect(calls.get("env.proxy_set_header_map_pairs")).toBe(1);
    expect(calls.total()).toBe(2);
  });

  it("makes no write call when nothing was edited", async () => {
    const { h, calls } = await send(GET("/read-only"));
    expect(h).toEqual(GET("/read-only"));
    expect(calls.get("env.proxy_get_header_map_pairs")).toBe(1);
    expect(calls.total()).toBe(1);
  });
});

describe("pairsAreUtf8", () => {
  let check: (bytes: Uint8Array) => boolean;
  beforeAll(async () => {
    const probe = sdkProbeWithRuntimeExports(ENTRY);
    const { outFile } = await compileAssemblyScript(probe.entry, probe.outFile, probe.options);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(outFile)), {
      env: new Proxy({}, { get: () => () => 0 }) as WebAssembly.ModuleImports,
    });
    const ex = instance.exports as unknown as { memory: WebAssembly.Memory; __new(size: number, id: number): number;
      checkPairsBlock(ptr: number): number; _initialize?: () => void };
    ex._initialize?.();
    check = (bytes) => {
      const ptr = ex.__new(bytes.length, 1); // ArrayBuffer
      new Uint8Array(ex.memory.buffer, ptr, bytes.length).set(bytes);
      return ex.checkPairsBlock(ptr) === 1;
    };
  });

  /** Envoy's pairs encoding of one header whose value is the given bytes. */
  function block(value: number[]): Uint8Array {
    const name = [0x78]; // "x"
    const out = [1, 0, 0, 0, name.length, 0, 0, 0, value.length, 0, 0, 0, ...name, 0, ...value, 0];
    return new Uint8Array(out);
  }

  it("accepts ASCII and well-formed multi-byte UTF-8", () => {
    expect(check(block([0x61, 0x62]))).toBe(true);
    expect(check(block([...Buffer.from("zürich €  😀")]))).toBe(true);
    expect(check(new Uint8Array(0))).toBe(true);
  });

  it("rejects bytes that would not survive decoding and re-encoding", () => {
    expect(check(block([0xe9]))).toBe(false); // Latin-1 é
    expect(check(block([0xc3]))).toBe(false); // truncated sequence
    expect(check(block([0xc0, 0xaf]))).toBe(false); // overlong "/"
    expect(check(block([0xed, 0xa0, 0x80]))).toBe(false); // UTF-16 surrogate
    expect(check(block([0xf4, 0x90, 0x80, 0x80]))).toBe(false); // above U+10FFFF
    expect(check(block([0x80]))).toBe(false); // lone continuation byte
  });
});
