import { describe, it, expect } from "vitest";
import { Host, PluginLoadError } from "../../emulator/index.ts";
import { wat, messages } from "./wat.ts";

const REQ: Array<[string, string]> = [[":method", "GET"], [":path", "/p"], [":authority", "a"], [":scheme", "http"]];
const enc = (s: string) => new TextEncoder().encode(s);

describe("header maps", () => {
  it("lower-cases keys, replaces by remove-all + append, returns the first value, counts bytes (docs/envoy-facts.md: header-pairs, header-windows)", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("headers") });
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders([...REQ, ["dup", "x"], ["multi", "1"], ["x-remove", "r"], ["dup", "y"], ["multi", "2"]]);
    const size = REQ.reduce((n, [k, v]) => n + k.length + v.length, 0) + 4 + 6 + 9 + 4 + 6;
    expect(messages(host.logs)).toEqual([
      "count=9", "size_status=0", `size=${size}`, "add=0", "replace=0", "remove=0", "remove_absent=0", "missing=1",
      "path=0", "/p", "multi=0", "1", "bad_map_type=2", "response_map_now=2",
    ]);
    expect(s.upstreamRequest.headers).toEqual([...REQ, ["multi", "1"], ["multi", "2"], ["x-added", "yes"], ["dup", "z"]]);
    expect(s.routeCacheClears).toBe(4); // add, replace, remove, remove of an absent key
  });

  it("parses valid pairs and turns malformed pairs into an empty map (docs/envoy-facts.md: header-pairs)", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("headers") });
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders(REQ).sendRequestTrailers([["old", "t"]]);
    expect(s.upstreamRequest.trailers).toEqual([["a", "1"], ["b", "22"]]);
    s.sendResponseHeaders([[":status", "200"], ["server", "x"]]);
    expect(messages(host.logs, "set_bad_pairs")).toEqual(["set_bad_pairs=0"]);
    expect(s.downstreamResponse.headers).toEqual([]);
  });

  it("closes header windows after the callback continued: BadArgument, empty pairs; NotFound only in on_log (docs/envoy-facts.md: header-windows)", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("headers") });
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders(REQ, true).sendResponseHeaders([[":status", "200"]]).sendResponseBody("body", true);
    const before = messages(host.logs).length;
    s.complete();
    const late = messages(host.logs, "late_");
    expect(late).toEqual(["late_request_header=2", "late_pairs=0", "late_pairs_size=0", "late_response_size=2", "late_add=2"]);
    expect(messages(host.logs).slice(before)).toEqual([
      "log_path=0", "/p", "log_missing=1", "log_request_trailers=1", "log_size=2", "log_add=2",
    ]);
  });
});

describe("pause and continue", () => {
  it("turns a headers Pause into StopAllIterationAndWatermark: no body callbacks until continue (docs/envoy-facts.md: headers-pause, stream-control)", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("pause") });
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders(REQ).sendRequestBody("abc").sendRequestBody("de", false).sendRequestTrailers([["t", "1"]]);
    expect(messages(host.logs)).toEqual(["request_headers"]);
    expect(s.upstreamRequest.headers).toBeNull();
    expect(s.requestPaused).toBe(true);
    // First tick: continue from the root context without set_effective_context is a silent no-op.
    host.advanceTime(1000);
    expect(messages(host.logs).slice(1)).toEqual(["root_continue=0"]);
    expect(s.upstreamRequest.headers).toBeNull();
    // Second tick: continue the stream; the held body (one buffer) and trailers are delivered afterwards.
    host.advanceTime(1000);
    expect(messages(host.logs).slice(2)).toEqual([
      "set_effective=0", "headers_while_paused=0", "continue=0", "headers_after_continue=2", "bad_effective=2",
      "body=5", "body_eos=0", "trailers=1",
    ]);
    expect(s.upstreamRequest.headers).toEqual(REQ);
    expect(s.upstreamRequest.bodyText).toBe("abcde");
    expect(s.upstreamRequest.trailers).toEqual([["t", "1"]]);
    expect(s.upstreamRequest.endStream).toBe(true);
  });

  it("keeps StopIteration with allow_on_headers_stop_iteration: body callbacks arrive, body Continue resumes headers", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("pause"), allowOnHeadersStopIteration: true });
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders(REQ);
    expect(s.upstreamRequest.headers).toBeNull();
    s.sendRequestBody("abc", true);
    expect(messages(host.logs)).toEqual(["request_headers", "body=3", "body_eos=1"]);
    expect(s.upstreamRequest.headers).toEqual(REQ);
    expect(s.upstreamRequest.bodyText).toBe("abc");
    expect(s.upstreamRequest.endStream).toBe(true);
  });
});

describe("bodies", () => {
  it("allows only prefix replace / prepend / append edits; mid-buffer is BadArgument (docs/envoy-facts.md: buffer-edits)", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("body-edit") });
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders(REQ).sendRequestBody("hel").sendRequestBody("lo", true);
    expect(messages(host.logs)).toEqual([
      "body_size=3", "body_size=5", "prepend=0", "replace_prefix=0", "append=0", "middle=2", "const_edit=2", "bad_type=2",
      "final_size=7", "add_trailer=0",
    ]);
    expect(s.upstreamRequest.bodyText).toBe("[hello]");
    // Trailers requested in the end-of-stream body callback are created and forwarded.
    expect(s.upstreamRequest.trailers).toEqual([["x-trailer", "t"]]);
    expect(s.upstreamRequest.endStream).toBe(true);
  });

  it("clamps reads to the buffer and reports empty out-of-window buffers as Ok/0", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("body-edit") });
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders(REQ, true).sendResponseHeaders([[":status", "200"]]).sendResponseBody("abcdefgh", true);
    expect(messages(host.logs)).toEqual([
      "slice=0", "cde", "past_end=0", "past_end_size=0", "request_body_now=0", "request_body_size_now=0", "call_body=1",
    ]);
    expect(s.downstreamResponse.bodyText).toBe("abcdefgh");
  });
});

describe("local replies", () => {
  it("defers the reply, forces stop, and runs it through every encoder filter including its own (docs/envoy-facts.md: local-reply)", async () => {
    const host = new Host();
    const replier = await host.loadPlugin({ module: await wat("local-reply"), name: "replier" });
    const observer = await host.loadPlugin({ module: await wat("lifecycle"), name: "observer" });
    // Chain: observer first, replier second. Encode order is reverse: replier, then observer.
    const s = host.httpStream({ filters: [observer, replier] });
    s.sendRequestHeaders(REQ).sendRequestBody("ignored", true);
    const msgs = messages(host.logs).filter((m) => !/^(create|parent|vm_start|configure|initialize)/.test(m));
    // Separate VMs: both stream contexts are id 2. Headers pass replier then observer, then the body.
    expect(msgs).toEqual([
      "request_headers=2", "send=0", "after_send", "local_response_headers=2", "response_headers=2", "local_response_body=4",
    ]);
    expect(s.localResponse).toMatchObject({ status: 403, details: "denied_by_policy", grpcStatus: null, headers: [["x-reason", "test"]] });
    expect(s.localResponse!.bodyText).toBe("nope");
    expect(s.downstreamResponse.headers).toEqual([
      [":status", "403"], ["x-reason", "test"], ["content-length", "4"], ["content-type", "text/plain"], ["x-enc", "a"],
    ]);
    expect(s.downstreamResponse.bodyText).toBe("nope");
    expect(s.upstreamRequest.headers).toBeNull();
    // The request body after a local reply is not delivered.
    expect(messages(host.logs)).not.toContain("request_body");
  });

  it("answers a gRPC request with a trailers-only gRPC reply", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("local-reply") });
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders([...REQ, ["content-type", "application/grpc"]], true);
    expect(s.downstreamResponse.headers).toEqual([
      [":status", "200"], ["x-reason", "test"], ["content-type", "application/grpc"], ["grpc-status", "7"],
      ["grpc-message", "nope"], ["x-enc", "a"],
    ]);
    expect(s.localResponse!.status).toBe(403);
  });
});

describe("traps", () => {
  it("fails the stream closed with a 503 wasm_fail_stream reply, records the trap, marks the VM failed (docs/envoy-facts.md: runtime-trap)", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("trap"), name: "t" });
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders(REQ, true);
    expect(s.localResponse).toMatchObject({ status: 503, details: "wasm_fail_stream", grpcStatus: 14 });
    expect(s.downstreamResponse.headers).toEqual([[":status", "503"]]);
    expect(s.upstreamRequest.headers).toBeNull();
    expect(host.traps).toHaveLength(1);
    expect(host.traps[0]).toMatchObject({ plugin: "t", callback: "proxy_on_request_headers", contextId: 2 });
    // Envoy's V8 prints the uncaught exception (found by running real Envoy 1.36.2 and 1.40.0).
    expect(host.traps[0].message).toBe("Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable");
    expect(p.failed).toBe(true);
    // The failing filter is not called on the response path, nor on_log afterwards.
    s.complete();
    expect(messages(host.logs)).not.toContain("response_headers");
    expect(messages(host.logs)).not.toContain("log");
    // Later streams on the failed VM fail closed too, without calling into it.
    const s2 = host.httpStream({ filters: [p] });
    s2.sendRequestHeaders(REQ, true);
    expect(s2.localResponse?.status).toBe(503);
    expect(host.traps).toHaveLength(1);
  });

  it("under failure_policy FAIL_OPEN fails the stream that trapped, and later streams skip the filter", async () => {
    // Found by running real Envoy 1.36.2 and 1.40.0 (test/e2e/failure.test.ts): only the legacy fail_open bool
    // reaches proxy-wasm's CHECK_FAIL, so the trapping stream gets the fail-closed 503.
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("trap"), failurePolicy: "FAIL_OPEN" });
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders(REQ, true);
    expect(s.localResponse).toMatchObject({ status: 503, details: "wasm_fail_stream" });
    expect(s.upstreamRequest.headers).toBeNull();
    expect(p.failed).toBe(true);
    const s2 = host.httpStream({ filters: [p] });
    expect(s2.contextIds).toEqual([]);
    s2.sendRequestHeaders(REQ, true);
    expect(s2.upstreamRequest.headers).toEqual(REQ);
  });

  it("under the legacy fail_open: true lets the stream that trapped continue too", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("trap"), failOpen: true });
    expect(p.failurePolicy).toBe("FAIL_OPEN");
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders(REQ, true);
    expect(s.localResponse).toBeNull();
    expect(s.upstreamRequest.headers).toEqual(REQ);
    expect(p.failed).toBe(true);
    const s2 = host.httpStream({ filters: [p] });
    expect(s2.contextIds).toEqual([]);
  });

  it("closes the connection that trapped under failure_policy FAIL_OPEN, passes later ones without the filter", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("trap-on-demand"), failurePolicy: "FAIL_OPEN" });
    const c = host.tcpConnection({ filters: [p] }).open().downstreamData("trap-me");
    expect(c.closed).toMatchObject({ details: "wasm_fail_stream", by: "local" });
    expect(c.toUpstream.length).toBe(0);
    const c2 = host.tcpConnection({ filters: [p] }).open().downstreamData("trap-me");
    expect(c2.contextIds).toEqual([]);
    expect(c2.closed).toBeNull();
    expect(c2.toUpstreamText).toBe("trap-me");
  });

  it("refuses a plugin that sets both fail_open and failure_policy, as Envoy does", async () => {
    const host = new Host();
    const err = await host.loadPlugin({ module: await wat("trap"), name: "both", failOpen: true, failurePolicy: "FAIL_OPEN" }).catch((e) => e);
    expect(err).toBeInstanceOf(PluginLoadError);
    expect(err.message).toBe("only one of fail_open or failure_policy can be set");
  });

  it("closes the connection when a network filter traps", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("trap") });
    const c = host.tcpConnection({ filters: [p] });
    c.open().downstreamData("x");
    expect(c.closed).toMatchObject({ details: "wasm_fail_stream", by: "local" });
    expect(c.toUpstream.length).toBe(0);
    expect(host.traps[0].callback).toBe("proxy_on_new_connection");
  });

  it("under FAIL_RELOAD keeps the failed VM within the reload backoff since the load: streams fail closed", async () => {
    // Envoy 1.36.2 and 1.40.0 (test/e2e/failure.test.ts): PluginConfig::maybeReloadHandleIfNeeded waits a jittered
    // [1, 1.5) s (reload_config.backoff.base_interval) after the last load before it rebuilds the VM.
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("trap-on-demand"), failurePolicy: "FAIL_RELOAD" });
    const firstVm = p.vm;
    host.advanceTime(900);
    const s1 = host.httpStream({ filters: [p] }).sendRequestHeaders([...REQ, ["x-trap", "1"]], true);
    expect(s1.localResponse?.status).toBe(503);
    const s2 = host.httpStream({ filters: [p] }).sendRequestHeaders(REQ, true);
    expect(p.vm).toBe(firstVm);
    expect(s2.localResponse).toMatchObject({ status: 503, details: "wasm_fail_stream" });
    host.advanceTime(600); // 1.5 s after the load
    const s3 = host.httpStream({ filters: [p] }).sendRequestHeaders(REQ, true);
    expect(p.vm).not.toBe(firstVm);
    expect(s3.localResponse).toBeNull();
  });

  it("rebuilds the VM for the next stream under FAIL_RELOAD once the backoff has passed", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("trap"), failurePolicy: "FAIL_RELOAD", reloadBackoffMs: 200 });
    const firstVm = p.vm;
    host.advanceTime(300);
    host.httpStream({ filters: [p] }).sendRequestHeaders(REQ, true);
    expect(firstVm.failed).toBe(true);
    const s2 = host.httpStream({ filters: [p] });
    expect(p.vm).not.toBe(firstVm);
    expect(p.failed).toBe(false);
    s2.sendRequestHeaders(REQ, true);
    expect(host.traps).toHaveLength(2);
    expect(s2.localResponse?.status).toBe(503);
  });
});

describe("chains", () => {
  it("decodes in configured order and encodes in reverse", async () => {
    const host = new Host();
    const module = await wat("lifecycle");
    const a = await host.loadPlugin({ module, name: "a" });
    const b = await host.loadPlugin({ module, name: "b" });
    const s = host.httpStream({ filters: [a, b] });
    s.sendRequestHeaders(REQ, true).sendResponseHeaders([[":status", "200"]], true);
    expect(messages(host.logs).filter((m) => /_headers=/.test(m))).toEqual([
      "request_headers=3", "request_headers=4", "response_headers=4", "response_headers=3",
    ]);
    expect(s.downstreamResponse.headers).toEqual([[":status", "200"]]);
    expect(s.downstreamResponse.endStream).toBe(true);
    void enc;
  });
});
