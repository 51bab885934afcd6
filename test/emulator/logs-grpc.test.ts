import { describe, it, expect } from "vitest";
import { Host } from "../../emulator/index.ts";
import { wat, messages } from "./wat.ts";

describe("logs", () => {
  it("prefixes lines like Envoy (root: root_id vm_id; stream: name root_id vm_id), filters by level", async () => {
    const host = new Host({ logLevel: "debug" });
    const p = await host.loadPlugin({ module: await wat("logs-grpc"), name: "plug", rootId: "rid", vmId: "vid" });
    host.httpStream({ filters: [p] }).sendRequestHeaders([[":path", "/"]], true);
    expect(host.logs).toEqual([
      { level: "warn", message: "warn-from-root", line: "wasm log rid vid: warn-from-root" },
      { level: "info", message: "bad_level=2", line: "wasm log rid vid: bad_level=2" },
      { level: "error", message: "error-from-stream", line: "wasm log plug rid vid: error-from-stream" },
    ]);
  });
});

describe("gRPC callouts", () => {
  it("numbers call/stream tokens, resolves clusters and delivers replies to the root context", async () => {
    const host = new Host({ clusters: ["grpc-cluster"] });
    await host.loadPlugin({ module: await wat("logs-grpc") });
    host.onGrpcCall((req) => req.method === "Check"
      ? { message: `ok:${Buffer.from(req.message).toString()}` }
      : { initialMetadata: [["x-md", "v"]], message: "event", trailingMetadata: [["t", "1"]], status: 5, statusMessage: "gone" });
    const before = host.logs.length;
    host.advanceTime(10);
    expect(messages(host.logs.slice(before))).toEqual([
      "grpc_call=0", "call_token=5", "grpc_call_unknown=4", "grpc_stream=0", "stream_token=6", "send=0", "send_on_call=2",
      "close_stream=0",
      "cancel_unknown=1",
      "receive=5", "ok:req",
      "initial_metadata=1", "v", "receive=6", "event", "trailing_metadata=1", "close=6", "close_status=5", "gone",
    ]);
    expect(host.grpcCalls.map((c) => [c.cluster, c.service, c.method])).toEqual([
      ["grpc-cluster", "pkg.Svc", "Check"], ["grpc-cluster", "pkg.Svc", "Watch"],
    ]);
  });

  // A successful unary call ends with on_grpc_receive only (the first test: no "close=5"); a failed one with
  // on_grpc_close only (envoy source/extensions/common/wasm/context.h GrpcCallClientHandler onSuccessRaw/onFailure).
  it("reports a failed unary call through on_grpc_close with the status", async () => {
    const host = new Host({ clusters: ["grpc-cluster"] });
    await host.loadPlugin({ module: await wat("logs-grpc") });
    host.onGrpcCall((req) => (req.method === "Check" ? { status: 14, statusMessage: "unavailable" } : undefined));
    const before = host.logs.length;
    host.advanceTime(10);
    expect(messages(host.logs.slice(before)).slice(9)).toEqual(["close=5", "close_status=14", "unavailable"]);
  });
});
