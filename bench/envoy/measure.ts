// Runs one bench case in real Envoy and reads what it cost: the Envoy under test (DUT) runs with 2 workers on one
// core; the generator, the client Envoy and the backend share the other.
import { startEnvoy, type EnvoyProcess } from "../../envoy/process.ts";
import { repoRoot, type Envoy } from "../../envoy/provision.ts";
import type { BenchCase } from "./cases.ts";
import { connectionRate, percentile, runH2load, startSink, streamFor, type H2loadResult } from "./load.ts";
import { cpuSeconds, pin, rssMiB } from "./proc.ts";
import { ADDR, backendConfig, clientConfig, dutConfig, type Protocol } from "./topology.ts";

export interface Placement {
  /** Core of the Envoy under test; undefined on a one-core machine (nothing pinned). */
  dutCpu?: number;
  /** Core of the generator, the client Envoy and the backend. */
  loadCpu?: number;
}

export interface RunSettings {
  runs: number;
  /** Seconds per fixed-rate run. */
  seconds: number;
  /** Seconds per maximum-throughput run. */
  maxSeconds: number;
  /** Requests per second of the fixed-rate runs. */
  rate: number;
  bodyBytes: number;
  streamSeconds: number;
  /** Seconds per connection-rate run (TCP and CONNECT cases). */
  connectionSeconds: number;
}

export interface FixedRun {
  requests: number;
  cpuSeconds: number;
  /** Envoy CPU-seconds per 1000 requests. */
  cpuPer1000: number;
  /** vCPU used at this rate (CPU-seconds per second). */
  vcpu: number;
  rssMiB: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
}

export interface CaseMeasurement {
  id: string;
  protocol: Protocol;
  fixed: FixedRun[];
  maxRps: number[];
  /** TCP and CONNECT cases: Envoy CPU-seconds per 1000 new connections (one request each) at 250 connections/s, from Node. */
  cpuPer1000Connections?: number[];
  /** MB/s of one TCP stream, when the case has stream runs. */
  streamMBps?: number[];
  /** RSS right after start (the filters' VMs loaded, no traffic yet). */
  startRssMiB: number;
  /** What the generator sent and what the Envoys counted, summed over all runs; equal when nothing was lost. */
  counters: { sent: number; answered2xx: number; backendCounted: number; dutCounted: number; dutExpected: number };
}

export interface Backend {
  proc: EnvoyProcess;
  stop(): Promise<void>;
}

export async function counter(proc: EnvoyProcess, name: string): Promise<number> {
  const text = await proc.adminGet(`/stats?filter=${encodeURIComponent(`^${name.replace(/\./g, "\\.")}$`)}`);
  const m = new RegExp(`^${name.replace(/\./g, "\\.")}: (\\d+)`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

export async function startBackend(envoy: Envoy, place: Placement): Promise<Backend> {
  const proc = await startEnvoy({ envoy, config: { yaml: backendConfig() }, cwd: repoRoot, concurrency: 1, logLevel: "error" });
  if (place.loadCpu !== undefined) pin(proc.child.pid!, place.loadCpu);
  return { proc, stop: () => proc.stop() };
}

async function startPinned(envoy: Envoy, yaml: string, cpu: number | undefined, concurrency: number): Promise<EnvoyProcess> {
  const proc = await startEnvoy({ envoy, config: { yaml }, cwd: repoRoot, concurrency, logLevel: "error", readyTimeoutMs: 60_000 });
  if (cpu !== undefined) pin(proc.child.pid!, cpu);
  return proc;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function loadShape(protocol: Protocol, rate?: number) {
  // HTTP/1.1: 10 connections; HTTP/2: 2 connections with up to 10 streams each.
  const clients = protocol === "h1" ? 10 : 2;
  return { clients, rpsPerClient: rate ? rate / clients : undefined, streams: 10 };
}

export async function measureCase(envoy: Envoy, backend: Backend, c: BenchCase, protocol: Protocol, s: RunSettings, place: Placement): Promise<CaseMeasurement> {
  const client = await startPinned(envoy, clientConfig(c.kind, protocol), place.loadCpu, 1);
  let dut: EnvoyProcess | undefined;
  try {
    dut = await startPinned(envoy, dutConfig(c.kind, c.filters()), place.dutCpu, 2);
    const pid = dut.child.pid!;
    await sleep(300);
    const startRss = rssMiB(pid);
    const url = `http://127.0.0.1:${ADDR.generatorPort}`;
    const dutCounter = c.kind === "tcp" ? "tcp.dut.downstream_cx_total" : c.kind === "connect" ? "http.dut.downstream_rq_total" : "http.dut.downstream_rq_2xx";
    const counters = { sent: 0, answered2xx: 0, backendCounted: 0, dutCounted: 0, dutExpected: 0 };
    // CPU is read right around the generator's run, so the admin requests for the counters are not part of it.
    const counted = async (run: () => Promise<H2loadResult>, clients: number) => {
      const b0 = await counter(backend.proc, "http.backend.downstream_rq_2xx");
      const d0 = await counter(dut!, dutCounter);
      const cpu0 = cpuSeconds(pid);
      const t0 = process.hrtime.bigint();
      const r = await run();
      const used = cpuSeconds(pid) - cpu0;
      const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
      await sleep(200);
      counters.sent += r.started;
      counters.answered2xx += r.status["2xx"];
      counters.backendCounted += (await counter(backend.proc, "http.backend.downstream_rq_2xx")) - b0;
      counters.dutCounted += (await counter(dut!, dutCounter)) - d0;
      // tcp: one DUT connection per generator connection; connect: one CONNECT per generator connection.
      counters.dutExpected += c.kind === "http" ? r.status["2xx"] : clients;
      return { r, used, elapsed };
    };
    const fixedShape = loadShape(protocol, s.rate);
    // Warm-up: connections, the filters' first requests, Envoy's lazy allocations.
    await runH2load({ url, protocol, requests: s.rate, ...fixedShape, bodyBytes: s.bodyBytes, cpu: place.loadCpu });
    const fixed: FixedRun[] = [];
    for (let i = 0; i < s.runs; i++) {
      // Exactly rate × seconds requests at the fixed rate, every answer awaited: the counters can be compared exactly.
      const { r, used, elapsed } = await counted(() => runH2load({ url, protocol, requests: s.rate * s.seconds, ...fixedShape, bodyBytes: s.bodyBytes, cpu: place.loadCpu }), fixedShape.clients);
      fixed.push({
        requests: r.done,
        cpuSeconds: used,
        cpuPer1000: used / (r.done / 1000),
        vcpu: used / elapsed,
        rssMiB: rssMiB(pid),
        p50Us: percentile(r.latencyUs, 50),
        p90Us: percentile(r.latencyUs, 90),
        p99Us: percentile(r.latencyUs, 99),
      });
    }
    const maxShape = protocol === "h1" ? { clients: 16, streams: 1 } : { clients: 4, streams: 32 };
    const maxRps: number[] = [];
    for (let i = 0; i < s.runs; i++) {
      // Timed, so requests in flight at the end are cut off: not part of the counter comparison.
      const r = await runH2load({ url, protocol, durationS: s.maxSeconds, ...maxShape, bodyBytes: s.bodyBytes, cpu: place.loadCpu });
      // Timed: the requests in flight at the end are cut off, so only the answers are checked (all 2xx).
      const non2xx = r.status["3xx"] + r.status["4xx"] + r.status["5xx"];
      if (non2xx > 0 || r.status["2xx"] === 0) throw new Error(`max-throughput run: ${non2xx} answers not 2xx, ${r.status["2xx"]} 2xx`);
      maxRps.push(r.rps);
    }
    // Connection rate: every request on a new connection (the backend closes after answering), so the per-connection
    // work of the L4 filters (and of tcp_proxy, TLS, the CONNECT stream) shows per 1000 connections.
    let cpuPer1000Connections: number[] | undefined;
    if (c.kind !== "http") {
      cpuPer1000Connections = [];
      const connections = 250 * s.connectionSeconds;
      for (let i = 0; i < s.runs; i++) {
        const d0 = await counter(dut, dutCounter);
        const cpu0 = cpuSeconds(pid);
        const r = await connectionRate("127.0.0.1", ADDR.generatorPort, connections, 250, s.bodyBytes);
        const used = cpuSeconds(pid) - cpu0;
        await sleep(200);
        const opened = (await counter(dut, dutCounter)) - d0;
        if (r.answered200 !== connections || opened !== connections) {
          throw new Error(`connection-rate run: ${connections} connections opened, ${r.answered200} answered 200, ${opened} connections (or tunnels) at the Envoy under test`);
        }
        cpuPer1000Connections.push(used / (opened / 1000));
      }
    }
    return { id: c.id, protocol, fixed, maxRps, cpuPer1000Connections, startRssMiB: startRss, counters };
  } finally {
    await dut?.stop();
    await client.stop();
  }
}

/** MB/s of one TCP connection through the case (client Envoy → DUT → a sink in this process). */
export async function measureStream(envoy: Envoy, c: BenchCase, s: RunSettings, place: Placement): Promise<number[]> {
  const sink = await startSink(ADDR.pod, ADDR.sinkPort);
  const client = await startPinned(envoy, clientConfig(c.kind, "h1", true), place.loadCpu, 1);
  let dut: EnvoyProcess | undefined;
  try {
    dut = await startPinned(envoy, dutConfig(c.kind, c.filters(), true), place.dutCpu, 2);
    const out: number[] = [];
    for (let i = 0; i < s.runs; i++) {
      const before = sink.received();
      const t0 = process.hrtime.bigint();
      await streamFor("127.0.0.1", ADDR.generatorPort, s.streamSeconds);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      await sleep(200);
      out.push((sink.received() - before) / 1e6 / seconds);
    }
    return out;
  } finally {
    await dut?.stop();
    await client.stop();
    await sink.stop();
  }
}
