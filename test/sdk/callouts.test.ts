// HTTP callouts and timers: the host answers callouts on the root context; the SDK routes the answer to the
// stream context that made the call, with that stream as effective context so continueRequest() reaches it.
import { beforeAll, describe, expect, it } from "vitest";
import { Host } from "../../emulator/index.ts";
import { GET, PROBE, buildModule, value } from "./helpers.ts";

let probe: string;
beforeAll(async () => {
  probe = await buildModule(PROBE);
});

describe("http callouts", () => {
  it("delivers the answer to the calling stream, which reads it and resumes the request", async () => {
    const host = new Host();
    host.onHttpCall(() => ({ headers: [[":status", "200"]], body: "pong" }));
    const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
    const s = host.httpStream({ filters: [alpha] });
    s.sendRequestHeaders(GET("/callout"), true);
    expect(host.httpCalls.map((c) => [c.cluster, c.timeoutMs])).toEqual([["auth", 1000]]);
    const h = s.upstreamRequest.headers;
    expect(value(h, "x-r-callout-token")).toBe("ok");
    expect(value(h, "x-r-callout-status")).toBe("200");
    expect(value(h, "x-r-callout-body")).toBe("pong");
    expect(host.traps).toEqual([]);
  });

  it("reports a reset callout with its status instead of trapping", async () => {
    const host = new Host();
    host.onHttpCall(() => "reset");
    const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
    const s = host.httpStream({ filters: [alpha] });
    s.sendRequestHeaders(GET("/callout"), true);
    expect(value(s.upstreamRequest.headers, "x-r-callout-status")).toBe("reset:11"); // BrokenConnection
    expect(host.traps).toEqual([]);
  });
});

describe("timers", () => {
  it("calls onTick on the root every tick period", async () => {
    const host = new Host();
    await host.loadPlugin({ module: probe, rootId: "alpha", configuration: "tick" });
    host.advanceTime(3500);
    expect(Number(host.metric("wasmcustom.probe_ticks_total"))).toBe(3);
  });
});
