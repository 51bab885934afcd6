// Memory stays flat under sustained traffic with the project's runtime (minimal + collection at quiescent
// points in the dispatcher) and with the incremental collector. The probe reports memory.size() (64 KiB pages)
// in a response header (HTTP) and in filter state (TCP).
import { describe, expect, it } from "vitest";
import { Host } from "../../emulator/index.ts";
import { GET, PROBE, Runtime, buildModule, value } from "./helpers.ts";

const REQUESTS = 20_000;
const WARMUP = 2_000;

async function httpPages(runtime: Runtime): Promise<{ warm: number; end: number }> {
  const host = new Host({ logLevel: "info" });
  const alpha = await host.loadPlugin({ module: await buildModule(PROBE, runtime), rootId: "alpha" });
  let warm = 0, end = 0;
  for (let i = 1; i <= REQUESTS; i++) {
    const s = host.httpStream({ filters: [alpha] });
    s.sendRequestHeaders(GET("/fast"), true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    const pages = Number(value(s.downstreamResponse.headers, "x-pages"));
    if (i === WARMUP) warm = pages;
    if (i === REQUESTS) end = pages;
  }
  expect(host.traps).toEqual([]);
  return { warm, end };
}

async function tcpPages(runtime: Runtime): Promise<{ warm: number; end: number }> {
  const host = new Host({ logLevel: "warn" });
  const beta = await host.loadPlugin({ module: await buildModule(PROBE, runtime), rootId: "beta" });
  let warm = 0, end = 0;
  for (let i = 1; i <= REQUESTS; i++) {
    const c = host.tcpConnection({ filters: [beta], properties: { "source.address": "10.0.0.1:1000", "destination.address": "10.0.0.2:80", "filter_state.probe.quiet": true } });
    c.open();
    c.downstreamData("ping", false);
    c.upstreamData("pong", true);
    const pages = Number(c.filterState.plain("wasm.pages"));
    c.closeDownstream("remote");
    if (i === WARMUP) warm = pages;
    if (i === REQUESTS) end = pages;
  }
  expect(host.traps).toEqual([]);
  return { warm, end };
}

describe("memory under sustained traffic", () => {
  for (const runtime of ["minimal", "incremental"] as const) {
    it(`stays flat over ${REQUESTS} HTTP requests (${runtime} runtime)`, async () => {
      const { warm, end } = await httpPages(runtime);
      expect(warm).toBeGreaterThan(0);
      expect(end).toBe(warm);
    });

    it(`stays flat over ${REQUESTS} TCP connections (${runtime} runtime)`, async () => {
      const { warm, end } = await tcpPages(runtime);
      expect(warm).toBeGreaterThan(0);
      expect(end).toBe(warm);
    });
  }
});
