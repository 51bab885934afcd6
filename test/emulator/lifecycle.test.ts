import { describe, it, expect } from "vitest";
import { Host } from "../../emulator/index.ts";
import { wat, messages } from "./wat.ts";

const REQ: Array<[string, string]> = [[":method", "GET"], [":path", "/"], [":authority", "a"], [":scheme", "http"]];

describe("lifecycle", () => {
  it("runs _initialize on the VM context (id 0, no plugin prefix) and numbers root contexts from 1 per VM (docs/envoy-facts.md: context-ids)", async () => {
    const host = new Host();
    const module = await wat("lifecycle");
    await host.loadPlugin({ module, vmId: "vm1", name: "a", rootId: "ra" });
    await host.loadPlugin({ module, vmId: "vm1", name: "b", rootId: "rb" });
    const init = host.logs.find((l) => l.message === "initialize")!;
    expect(init.line).toBe("wasm log: initialize");
    // One VM: _initialize ran once; roots 1 and 2.
    expect(messages(host.logs).filter((m) => m === "initialize")).toHaveLength(1);
    expect(messages(host.logs, "create=")).toEqual(["create=1", "create=2"]);
    expect(messages(host.logs, "parent=")).toEqual(["parent=0", "parent=0"]);
    expect(messages(host.logs, "vm_start=")).toEqual(["vm_start=1", "vm_start=2"]);
    expect(messages(host.logs, "configure=")).toEqual(["configure=1", "configure=2"]);
    // A different vm_id gets its own VM: its root is 1 again.
    const host2 = new Host();
    await host2.loadPlugin({ module, vmId: "vm1" });
    await host2.loadPlugin({ module, vmId: "vm2" });
    expect(messages(host2.logs, "create=")).toEqual(["create=1", "create=1"]);
  });

  it("gives stream contexts the next ids from the same per-VM counter", async () => {
    const host = new Host();
    const module = await wat("lifecycle");
    const a = await host.loadPlugin({ module, vmId: "v", name: "a" });
    const b = await host.loadPlugin({ module, vmId: "v", name: "b" });
    const s = host.httpStream({ filters: [a, b] });
    expect(s.contextIds).toEqual([3, 4]);
    s.sendRequestHeaders(REQ, true);
    expect(messages(host.logs, "parent=").slice(2)).toEqual(["parent=1", "parent=2"]);
  });

  it("tears an HTTP stream down with on_log → on_done → on_delete, ignoring on_done=false (docs/envoy-facts.md: teardown-order)", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("lifecycle") });
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders(REQ, true).sendResponseHeaders([[":status", "200"]], true).complete();
    const after = messages(host.logs).slice(messages(host.logs).indexOf("response_headers=2") + 1);
    expect(after).toEqual(["log=2", "done=2", "delete=2"]);
  });

  it("calls on_log (creating the context first) for a filter the request never reached", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("lifecycle") });
    const s = host.httpStream({ filters: [p] });
    s.complete();
    expect(messages(host.logs).slice(-5)).toEqual(["create=2", "parent=1", "log=2", "done=2", "delete=2"]);
  });

  it("finalises a TCP context done → log → delete only after the downstream close (docs/envoy-facts.md: teardown-order)", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("lifecycle") });
    const c = host.tcpConnection({ filters: [p] });
    c.open().downstreamData("hello").upstreamData("world", true);
    // Upstream end of stream: on_upstream_connection_close(Unknown), but no finalisation.
    expect(messages(host.logs).slice(-2)).toEqual(["upstream_data=5", "upstream_close=0"]);
    expect(messages(host.logs)).not.toContain("done=2");
    c.closeDownstream("remote");
    expect(messages(host.logs).slice(-4)).toEqual(["downstream_close=2", "done=2", "log=2", "delete=2"]);
    expect(c.toUpstream).toEqual(new TextEncoder().encode("hello"));
    expect(c.toDownstream).toEqual(new TextEncoder().encode("world"));
  });

  it("reports a local close with peer type Local", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("lifecycle") });
    const c = host.tcpConnection({ filters: [p] });
    c.open().closeDownstream("local");
    expect(messages(host.logs).slice(-4)).toEqual(["downstream_close=1", "done=2", "log=2", "delete=2"]);
  });

  it("keeps a root context whose on_done returned false until proxy_done (docs/envoy-facts.md: root-done)", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("lifecycle") });
    host.shutdownPlugin(p);
    expect(messages(host.logs).slice(-1)).toEqual(["done=1"]);
    // proxy_done from a root callback → on_delete after the call.
    p.vm.invoke(p.root, "proxy_on_tick", p.vm.onTick!, p.root.id);
    p.vm.afterCall();
    expect(messages(host.logs).slice(-2)).toEqual(["proxy_done=0", "delete=1"]);
  });
});
