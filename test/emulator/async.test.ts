import { describe, it, expect } from "vitest";
import { Host } from "../../emulator/index.ts";
import { wat, messages } from "./wat.ts";

describe("timers, callouts, shared data, queues", () => {
  it("runs shared data with CAS, queue registration/resolution, log level and time hostcalls", async () => {
    const host = new Host({ logLevel: "debug" });
    await host.loadPlugin({ module: await wat("async"), vmId: "vm" });
    expect(messages(host.logs)).toEqual([
      "tick_period=0", "register=0", "queue_token=1", "resolve=0", "resolved_token=1", "resolve_missing=1",
      "dequeue_empty=7", "enqueue_unknown=1", "log_level=0", "level=1", "now=0",
      "get_missing=1", "set1=0", "get1=0", "v1", "cas1=1", "set_stale=8", "set_cas=0", "v3", "cas2=2",
    ]);
  });

  it("fires ticks on the virtual clock and answers HTTP callouts on the root context", async () => {
    const host = new Host({ clusters: ["auth"] });
    const p = await host.loadPlugin({ module: await wat("async") });
    expect(host.tickPeriod(p)).toBe(500);
    host.onHttpCall((req) => {
      if (req.body.length === 0) return "reset";
      return { headers: [[":status", "200"], ["x", "y"]], body: `echo:${Buffer.from(req.body).toString()}` };
    });
    const before = host.logs.length;
    host.advanceTime(499);
    expect(host.logs.length).toBe(before);
    host.advanceTime(1);
    expect(messages(host.logs.slice(before))).toEqual([
      "tick=1", "http_call=0", "token=4", "http_call_no_path=2", "enqueue=0",
      "response_token=4", "response_headers=2", "response_body_size=9", "200", "echo:body",
      "queue_ready=1", "dequeue=0", "item",
    ]);
    expect(host.httpCalls[0]).toMatchObject({ cluster: "auth", token: 4, timeoutMs: 1000,
      headers: [[":path", "/ok"], [":method", "GET"], [":authority", "authz"], ["content-length", "4"]] });
    const mid = host.logs.length;
    host.advanceTime(500);
    expect(messages(host.logs.slice(mid))).toEqual([
      "tick=2", "reset_call=0", "response_token=8", "response_headers=0", "response_body_size=0", "status=0", "status_code=11", "reset",
    ]);
    // The second tick set the period to 0: no more ticks.
    host.advanceTime(5000);
    expect(messages(host.logs, "tick=")).toEqual(["tick=1", "tick=2"]);
  });

  it("rejects callouts to unknown clusters and leaves unanswered calls pending", async () => {
    const host = new Host({ clusters: ["other"] });
    await host.loadPlugin({ module: await wat("async") });
    host.advanceTime(500);
    expect(messages(host.logs, "http_call=")).toEqual(["http_call=2"]);
    const host2 = new Host();
    await host2.loadPlugin({ module: await wat("async") });
    host2.advanceTime(500);
    expect(host2.pendingHttpCalls.map((c) => c.token)).toEqual([4]);
    host2.respondHttpCall(4, { headers: [[":status", "503"]] });
    expect(messages(host2.logs).slice(-5)).toEqual(["response_token=4", "response_headers=1", "response_body_size=0", "503", ""]);
  });
});

describe("stream control (docs/envoy-facts.md: stream-control)", () => {
  it("defers close_stream(REQUEST) to after the callback and resets the stream", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("stream-control") });
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders([[":path", "/"]], true);
    expect(messages(host.logs)).toEqual(["close_request=0", "after_close"]);
    expect(s.reset).toEqual({ details: "wasm_close_stream" });
    expect(s.upstreamRequest.headers).toBeNull();
  });

  it("makes close/local reply from a root context silent no-ops; rejects a bad stream type", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("stream-control") });
    const s = host.httpStream({ filters: [p] });
    host.advanceTime(100);
    expect(messages(host.logs)).toEqual(["root_close=0", "root_reply=0", "bad_stream_type=2"]);
    expect(s.reset).toBeNull();
    expect(s.localResponse).toBeNull();
  });

  it("returns Unimplemented for continue(UPSTREAM); close(UPSTREAM) closes the downstream connection", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("stream-control") });
    const c = host.tcpConnection({ filters: [p] });
    c.open();
    expect(messages(host.logs)).toEqual(["continue_upstream=12", "reply_on_tcp=0"]);
    c.downstreamData("x");
    expect(messages(host.logs).slice(2)).toEqual(["close_upstream=0", "after_close", "downstream_close=1"]);
    expect(c.closed).toEqual({ details: "wasm_upstream_close", by: "local" });
  });
});

describe("TCP chains", () => {
  it("holds later filters until continue after a pause in on_new_connection", async () => {
    const host = new Host();
    const a = await host.loadPlugin({ module: await wat("tcp-pause"), configuration: "p", name: "a", vmId: "a" });
    const b = await host.loadPlugin({ module: await wat("tcp-pause"), configuration: "w", name: "b", vmId: "b" });
    const c = host.tcpConnection({ filters: [a, b] });
    c.open();
    expect(messages(host.logs)).toEqual(["new_connection=2"]);
    expect(c.upstreamConnected).toBe(false);
    // Envoy still hands new data to the paused (initialised) filter; its Continue initialises the next one.
    c.downstreamData("hi");
    expect(messages(host.logs).slice(1)).toEqual(["data=2", "new_connection=2", "data=2"]);
    expect(c.toUpstream).toEqual(new TextEncoder().encode("hi"));
  });

  it("resumes with the next filter on proxy_continue_stream(DOWNSTREAM)", async () => {
    const host = new Host();
    const a = await host.loadPlugin({ module: await wat("tcp-pause"), configuration: "p", name: "a", vmId: "a" });
    const b = await host.loadPlugin({ module: await wat("tcp-pause"), configuration: "w", name: "b", vmId: "b" });
    const c = host.tcpConnection({ filters: [a, b] });
    c.open();
    host.advanceTime(1000);
    expect(messages(host.logs)).toEqual(["new_connection=2", "continue=0", "new_connection=2"]);
    expect(c.upstreamConnected).toBe(true);
  });

  it("accumulates paused reads and reports the buffered size", async () => {
    const host = new Host();
    const a = await host.loadPlugin({ module: await wat("tcp-pause"), configuration: "d" });
    const c = host.tcpConnection({ filters: [a] });
    c.open().downstreamData("abc");
    expect(c.toUpstream.length).toBe(0);
    c.downstreamData("def");
    expect(messages(host.logs)).toEqual(["new_connection=2", "data=3", "data=6"]);
    expect(new TextDecoder().decode(c.toUpstream)).toBe("abcdef");
  });

  it("runs write filters in reverse order", async () => {
    const host = new Host();
    const module = await wat("tcp-pause");
    const a = await host.loadPlugin({ module, configuration: "w", name: "a", vmId: "v" });
    const b = await host.loadPlugin({ module, configuration: "w", name: "b", vmId: "v" });
    const c = host.tcpConnection({ filters: [a, b] });
    c.open().upstreamData("x");
    // contexts: a → 3, b → 4; the write path visits b first, then a.
    expect(messages(host.logs, "write")).toEqual(["write=4", "write=3"]);
    expect(new TextDecoder().decode(c.toDownstream)).toBe("x43");
  });
});
