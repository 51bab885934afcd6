// Envoy's VM layout with worker threads (docs/envoy-facts.md: vm-sharing, worker-vms; proxy-wasm-cpp-host src/wasm.cc
// createWasm / WasmHandleBase::canary / getOrCreateThreadLocalPlugin, src/shared_queue.cc registerQueue).
import { describe, it, expect } from "vitest";
import { Host, PluginLoadError } from "../../emulator/index.ts";
import { wat } from "./wat.ts";

const REQ: Array<[string, string]> = [[":method", "GET"], [":path", "/"], [":authority", "a"], [":scheme", "http"]];

/** [message, worker] of the captured module lines starting with a prefix. */
function byWorker(host: Host, prefix: string): Array<[string, number | undefined]> {
  return host.logs.filter((l) => l.message.startsWith(prefix)).map((l) => [l.message, l.worker]);
}

describe("workers", () => {
  it("initialises a base VM, a canary and one VM per worker, and configures the plugin W+1 times", async () => {
    const host = new Host({ workers: 2 });
    await host.loadPlugin({ module: await wat("workers"), vmId: "v" });
    // _initialize: base (-2), canary (-1), workers 0 and 1 — four separate instances.
    expect(byWorker(host, "initialize")).toEqual([["initialize", -2], ["initialize", -1], ["initialize", 0], ["initialize", 1]]);
    // Root context id 1 in every clone: each VM numbers its own contexts.
    expect(byWorker(host, "vm_start")).toEqual([["vm_start=1", -1], ["vm_start=1", 0], ["vm_start=1", 1]]);
    expect(byWorker(host, "configure")).toEqual([["configure=1", -1], ["configure=1", 0], ["configure=1", 1]]);
  });

  it("keeps a single VM without the workers option, and a canary plus one worker with workers: 1", async () => {
    const single = new Host();
    await single.loadPlugin({ module: await wat("workers") });
    expect(single.logs.filter((l) => l.message.startsWith("configure")).map((l) => l.message)).toEqual(["configure=1"]);
    expect(single.logs[0].worker).toBeUndefined();
    const one = new Host({ workers: 1 });
    await one.loadPlugin({ module: await wat("workers") });
    expect(byWorker(one, "configure")).toEqual([["configure=1", -1], ["configure=1", 0]]);
  });

  it("discards the canary without on_done/on_delete; shutdown reaches every worker's root", async () => {
    const host = new Host({ workers: 2 });
    const p = await host.loadPlugin({ module: await wat("workers") });
    expect(byWorker(host, "done")).toEqual([]);
    expect(byWorker(host, "delete")).toEqual([]);
    host.shutdownPlugin(p);
    expect(byWorker(host, "done")).toEqual([["done=1", 0], ["done=1", 1]]);
    expect(byWorker(host, "delete")).toEqual([["delete=1", 0], ["delete=1", 1]]);
  });

  it("runs a second plugin of the same VM key on a new canary and on the existing worker VMs", async () => {
    const host = new Host({ workers: 2 });
    const module = await wat("workers");
    const a = await host.loadPlugin({ module, vmId: "v", name: "a" });
    const b = await host.loadPlugin({ module, vmId: "v", name: "b" });
    // Only the new canary initialises; the base VM and the worker VMs are reused.
    expect(byWorker(host, "initialize").slice(4)).toEqual([["initialize", -1]]);
    // The canary is a fresh clone (root 1); on the workers the second plugin gets root 2.
    expect(byWorker(host, "configure").slice(3)).toEqual([["configure=1", -1], ["configure=2", 0], ["configure=2", 1]]);
    expect(a.instances[0]!.vm).toBe(b.instances[0]!.vm);
    expect(a.instances[0]!.vm).not.toBe(a.instances[1]!.vm);
  });

  it("gives each worker VM its own memory while shared data is common to all", async () => {
    const host = new Host({ workers: 2 });
    const p = await host.loadPlugin({ module: await wat("workers"), vmId: "v" });
    const workers: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s = host.httpStream({ filters: [p] });
      workers.push(s.worker);
      expect(s.contextIds).toEqual([2 + Math.floor(i / 2)]); // per-VM context id counter
      s.sendRequestHeaders(REQ, true).complete();
    }
    expect(workers).toEqual([0, 1, 0, 1]); // round-robin
    expect(byWorker(host, "local")).toEqual([["local=1", 0], ["local=1", 1], ["local=2", 0], ["local=2", 1]]);
    expect(byWorker(host, "shared=")).toEqual([["shared=1", 0], ["shared=2", 1], ["shared=3", 0], ["shared=4", 1]]);
    expect(byWorker(host, "set_shared").map(([m]) => m)).toEqual(["set_shared=0", "set_shared=0", "set_shared=0", "set_shared=0"]);
  });

  it("assigns streams and connections to a requested worker and rejects an unknown one", async () => {
    const host = new Host({ workers: 3 });
    const p = await host.loadPlugin({ module: await wat("workers") });
    expect(host.httpStream({ filters: [p], worker: 2 }).worker).toBe(2);
    expect(host.tcpConnection({ filters: [p], worker: 1 }).worker).toBe(1);
    expect(host.httpStream({ filters: [p] }).worker).toBe(0);
    expect(() => host.httpStream({ filters: [p], worker: 3 })).toThrow(/worker 3 out of range/);
  });

  it("notifies only the last VM that registered a shared queue", async () => {
    const host = new Host({ workers: 3 });
    await host.loadPlugin({ module: await wat("workers"), vmId: "v" });
    const p = host.plugins[0];
    // From the test (another VM) and from a module on worker 0: both notify worker 2, the last registrant.
    expect(host.enqueueSharedQueue("v", "q", "from-test")).toBe(true);
    host.tcpConnection({ filters: [p], worker: 0 }).open();
    expect(byWorker(host, "enqueue")).toEqual([["enqueue=0", 0]]);
    expect(byWorker(host, "queue_ready")).toEqual([["queue_ready=1", 2], ["queue_ready=1", 2]]);
    expect(host.logs.filter((l) => l.message.startsWith("from-")).map((l) => [l.message, l.worker]))
      .toEqual([["from-test", 2], ["from-module", 2]]);
  });

  it("runs each worker root's timer and drops the canary's", async () => {
    const host = new Host({ workers: 2 });
    await host.loadPlugin({ module: await wat("workers") });
    host.advanceTime(1000);
    expect(byWorker(host, "tick")).toEqual([["tick=1", 0], ["tick=1", 1]]);
  });

  it("rejects the configuration when the canary's on_configure fails, before any worker runs it", async () => {
    const host = new Host({ workers: 2 });
    const err = await host.loadPlugin({ module: await wat("workers"), name: "p", configuration: "fail" }).catch((e) => e);
    expect(err).toBeInstanceOf(PluginLoadError);
    expect(err.message).toBe("Failed to configure base Wasm plugin");
    expect(byWorker(host, "configure")).toEqual([["configure=1", -1]]);
    expect(host.plugins).toHaveLength(0);
  });

  it("fails only the VM of the worker that trapped", async () => {
    const host = new Host({ workers: 2 });
    const p = await host.loadPlugin({ module: await wat("workers"), name: "w" });
    const bad = host.httpStream({ filters: [p], worker: 0 }).sendRequestHeaders([...REQ, ["x-trap", "1"]], true);
    expect(bad.localResponse?.status).toBe(503);
    expect(host.traps).toMatchObject([{ plugin: "w", worker: 0, callback: "proxy_on_request_headers" }]);
    expect(p.instances[0]!.vm.failed).toBe(true);
    expect(p.instances[1]!.vm.failed).toBe(false);
    const good = host.httpStream({ filters: [p], worker: 1 }).sendRequestHeaders(REQ, true);
    expect(good.localResponse).toBeNull();
    expect(good.upstreamRequest.headers).toEqual(REQ);
  });

  it("rebuilds only the failed worker's VM under FAIL_RELOAD", async () => {
    const host = new Host({ workers: 2 });
    const p = await host.loadPlugin({ module: await wat("workers"), failurePolicy: "FAIL_RELOAD" });
    const [vm0, vm1] = [p.instances[0]!.vm, p.instances[1]!.vm];
    host.httpStream({ filters: [p], worker: 0 }).sendRequestHeaders([...REQ, ["x-trap", "1"]], true);
    host.advanceTime(1500); // past the reload backoff (1 s base, jittered up to 1.5 s)
    const before = host.logs.length;
    const s = host.httpStream({ filters: [p], worker: 0 });
    expect(p.instances[0]!.vm).not.toBe(vm0);
    expect(p.instances[1]!.vm).toBe(vm1);
    expect(host.logs.slice(before).map((l) => [l.message, l.worker])).toEqual([
      ["initialize", 0], ["vm_start=1", 0], ["configure=1", 0],
    ]);
    s.sendRequestHeaders(REQ, true);
    expect(s.localResponse).toBeNull();
  });

  it("numbers HTTP callout tokens per VM and answers the call of the named worker", async () => {
    const host = new Host({ workers: 2 });
    await host.loadPlugin({ module: await wat("async") });
    host.advanceTime(500); // first tick on each worker VM: proxy_http_call → token 4 on both
    expect(host.pendingHttpCalls.map((c) => [c.token, c.worker])).toEqual([[4, 0], [4, 1]]);
    expect(() => host.respondHttpCall(4, { headers: [[":status", "200"]] })).toThrow(/several pending http calls have token 4/);
    host.respondHttpCall(4, { headers: [[":status", "200"]], body: "ok" }, 1);
    expect(byWorker(host, "response_token")).toEqual([["response_token=4", 1]]);
    expect(host.pendingHttpCalls.map((c) => c.worker)).toEqual([0]);
  });
});
