// The WASI subset as proxy-wasm-cpp-host implements it (src/exports.cc wasi_unstable_*).
import { describe, it, expect } from "vitest";
import { Host } from "../../emulator/index.ts";
import { wat, messages } from "./wat.ts";

describe("WASI", () => {
  it("answers polling, file and socket calls the way Envoy does", async () => {
    const host = new Host();
    await host.loadPlugin({ module: await wat("wasi-stubs") });
    expect(messages(host.logs)).toEqual([
      "poll_oneoff=0", "nevents=0", "poll_fault=21",
      "wasi_unstable fd_seek", "fd_seek=0", "wasi_unstable fd_close", "fd_close=0",
      "path_open=44", "fdstat=0", "rights=64", "fdstat_bad=8", "fd_tell=0", "fd_readdir=20", "sock_send=58",
      "random_empty=0", "fd_renumber=58", "write_empty=0", "write_fault=21",
    ]);
    // fd_seek/fd_close only leave a trace line (Envoy Context::error logs at trace).
    expect(host.logs.find((l) => l.message === "wasi_unstable fd_seek")?.level).toBe("trace");
  });
});
