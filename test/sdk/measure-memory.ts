// Memory and size figures for the SDK's runtime choice (not a test; numbers go into sdk/README.md):
//   node --import tsx test/sdk/measure-memory.ts [N]
// Runs N HTTP request lifecycles through example-header and N TCP connections through the probe's network
// filter on the emulator, for the minimal (project default), incremental and stub (never collects) runtimes,
// and prints module size, linear-memory pages before/after and host calls per request.
import { statSync } from "node:fs";
import { Host } from "../../emulator/index.ts";
import { GET, PROBE, buildModule } from "./helpers.ts";

type Runtime = "minimal" | "incremental" | "stub";
const N = Number(process.argv[2] ?? 100_000);
const CONFIG = JSON.stringify({ response_header: { name: "x-served-by", value: "ambient-wasm" }, deny_paths: ["/admin"] });
const pages = (plugin: { vm: { mem: { memory: WebAssembly.Memory } } }) => plugin.vm.mem.memory.buffer.byteLength / 65536;

async function http(runtime: Runtime) {
  const file = await buildModule("filters/example-header/filter.ts", runtime as "minimal");
  const host = new Host({ logLevel: "info", countHostCalls: true });
  const plugin = await host.loadPlugin({ module: file, rootId: "example-header", configuration: CONFIG });
  host.hostCalls!.reset();
  const before = pages(plugin as never);
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    const s = host.httpStream({ filters: [plugin] });
    s.sendRequestHeaders(GET(i % 10 === 0 ? "/admin" : "/ok"), true);
    if (!s.localResponse) s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
  }
  const ms = performance.now() - started;
  return { kind: "http", runtime, bytes: statSync(file).size, before, after: pages(plugin as never),
    hostCallsPerRequest: +(host.hostCalls!.total() / N).toFixed(2), traps: host.traps.length, seconds: +(ms / 1000).toFixed(1) };
}

async function tcp(runtime: Runtime) {
  const file = await buildModule(PROBE, runtime as "minimal");
  const host = new Host({ logLevel: "warn" });
  const plugin = await host.loadPlugin({ module: file, rootId: "beta" });
  const before = pages(plugin as never);
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    const c = host.tcpConnection({ filters: [plugin], properties: {
      "source.address": "10.0.0.1:1000", "destination.address": "10.0.0.2:80", "filter_state.probe.quiet": true } });
    c.open();
    c.downstreamData("ping", false);
    c.upstreamData("pong", true);
    c.closeDownstream("remote");
  }
  const ms = performance.now() - started;
  return { kind: "tcp", runtime, bytes: statSync(file).size, before, after: pages(plugin as never), traps: host.traps.length,
    seconds: +(ms / 1000).toFixed(1) };
}

for (const runtime of ["minimal", "incremental", "stub"] as const) {
  console.log(JSON.stringify(await http(runtime)));
  console.log(JSON.stringify(await tcp(runtime)));
}
