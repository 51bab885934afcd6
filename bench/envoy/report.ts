// Figures per case (issue 16, point 3) from the raw runs, the target verdicts (point 4) and the table.
import { baselineOf, CASES, nativeOf } from "./cases.ts";
import type { CaseMeasurement } from "./measure.ts";

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1], n: v.length };
}

export interface CaseFigures {
  id: string;
  protocol: string;
  group: string;
  what: string;
  cpuPer1000: Spread;
  vcpuAtRate: Spread;
  rssMiB: Spread;
  startRssMiB: number;
  maxRps: Spread;
  latencyUs: { p50: Spread; p90: Spread; p99: Spread };
  /** Median latency added over the case without filters of the same kind and protocol (µs). */
  addedLatencyUs?: { p50: number; p90: number; p99: number };
  /** CPU per request relative to (a) and to (b). */
  cpuRatioToNone?: number;
  cpuRatioToNative?: number;
  /** Median CPU-seconds per 1000 requests above (a). */
  addedCpuPer1000?: number;
  streamMBps?: Spread;
  /** CPU-seconds per 1000 new connections (TCP, CONNECT cases), and above (a). */
  cpuPer1000Connections?: Spread;
  addedCpuPer1000Connections?: number;
  counters: CaseMeasurement["counters"];
  countersEqual: boolean;
}

export function figures(all: CaseMeasurement[]): CaseFigures[] {
  const base = all.map((m) => {
    const c = CASES.find((x) => x.id === m.id)!;
    const f: CaseFigures = {
      id: m.id,
      protocol: m.protocol,
      group: c.group,
      what: c.what,
      cpuPer1000: spread(m.fixed.map((r) => r.cpuPer1000)),
      vcpuAtRate: spread(m.fixed.map((r) => r.vcpu)),
      rssMiB: spread(m.fixed.map((r) => r.rssMiB)),
      startRssMiB: m.startRssMiB,
      maxRps: spread(m.maxRps),
      latencyUs: { p50: spread(m.fixed.map((r) => r.p50Us)), p90: spread(m.fixed.map((r) => r.p90Us)), p99: spread(m.fixed.map((r) => r.p99Us)) },
      streamMBps: m.streamMBps ? spread(m.streamMBps) : undefined,
      cpuPer1000Connections: m.cpuPer1000Connections ? spread(m.cpuPer1000Connections) : undefined,
      counters: m.counters,
      countersEqual: m.counters.sent === m.counters.answered2xx && m.counters.answered2xx === m.counters.backendCounted && m.counters.dutCounted === m.counters.dutExpected,
    };
    return f;
  });
  const find = (id: string | undefined, protocol: string) => base.find((f) => f.id === id && f.protocol === protocol);
  for (const f of base) {
    const c = CASES.find((x) => x.id === f.id)!;
    const none = find(baselineOf(c), f.protocol);
    const native = find(nativeOf(c), f.protocol);
    if (none && none !== f) {
      f.addedLatencyUs = {
        p50: f.latencyUs.p50.median - none.latencyUs.p50.median,
        p90: f.latencyUs.p90.median - none.latencyUs.p90.median,
        p99: f.latencyUs.p99.median - none.latencyUs.p99.median,
      };
      f.cpuRatioToNone = f.cpuPer1000.median / none.cpuPer1000.median;
      f.addedCpuPer1000 = f.cpuPer1000.median - none.cpuPer1000.median;
      if (f.cpuPer1000Connections && none.cpuPer1000Connections) f.addedCpuPer1000Connections = f.cpuPer1000Connections.median - none.cpuPer1000Connections.median;
    }
    if (native && native !== f) f.cpuRatioToNative = f.cpuPer1000.median / native.cpuPer1000.median;
  }
  return base;
}

export interface Verdict {
  target: string;
  figure: string;
  ok: boolean | null;
}

/** Istio 1.24's published anchors (istio.io "Performance and Scalability": 1000 rps, 1 KB, 2 worker threads). */
export const ISTIO_ANCHORS = {
  sidecar: { vcpu: 0.2, memoryMB: 60 },
  waypoint: { vcpu: 0.25, memoryMB: 60 },
  ztunnel: { vcpu: 0.06, memoryMB: 12 },
};

/** `resolutionPer1000`: CPU-seconds per 1000 requests that one clock tick per run amounts to. */
export function verdicts(f: CaseFigures[], resolutionPer1000?: number): Verdict[] {
  const out: Verdict[] = [];
  const get = (id: string, protocol = "h1") => f.find((x) => x.id === id && x.protocol === protocol);
  const fmt = (n: number | undefined, digits = 3) => (n === undefined || !Number.isFinite(n) ? "n/a" : n.toFixed(digits));
  for (const protocol of ["h1", "h2"]) {
    const chain = get("http/sidecar-inbound", protocol);
    if (chain) {
      out.push({ target: `L7 chain (${protocol}) ≤ 0.25 vCPU per 1000 rps`, figure: `${fmt(chain.cpuPer1000.median)} vCPU·s per 1000 requests`, ok: chain.cpuPer1000.median <= 0.25 });
      out.push({ target: `L7 chain (${protocol}) ≤ 60 MB`, figure: `${fmt(chain.rssMiB.median, 1)} MiB RSS`, ok: chain.rssMiB.median * 1.048576 <= 60 });
    }
    const wasm = get("http/identity-rbac-l7", protocol);
    const native = get("http/envoy-rbac", protocol);
    if (wasm?.addedCpuPer1000 !== undefined && native?.addedCpuPer1000 !== undefined) {
      // Below one clock tick per run the native filter's added CPU is not measured, and no ratio can be judged.
      const resolution = resolutionPer1000 ?? 0;
      const measurable = native.addedCpuPer1000 > resolution;
      out.push({
        target: `identity-rbac L7 (${protocol}) added CPU ≤ 1.3× native RBAC's`,
        figure: `${fmt(wasm.addedCpuPer1000, 4)} vs ${fmt(native.addedCpuPer1000, 4)} CPU·s per 1000 requests over (a)` +
          (measurable ? "" : ` (native's is below the resolution of ${fmt(resolution, 4)})`),
        ok: measurable ? wasm.addedCpuPer1000 <= 1.3 * native.addedCpuPer1000 : null,
      });
    }
  }
  const mesh = get("mesh/ztunnel-15001-15008");
  if (mesh) {
    // Two nodes' ztunnels carry each request once each: Istio's ztunnel anchor is per node.
    const perNode = mesh.cpuPer1000.median / 2;
    out.push({ target: "ztunnel path 15001 → 15008, per node ≤ 0.06 vCPU per 1000 rps (Istio's ztunnel)", figure: `${fmt(perNode, 4)} per node (${fmt(mesh.cpuPer1000.median, 4)} both)`, ok: perNode <= 0.06 });
  }
  for (const id of ["connect/ztunnel-inbound", "tcp/sidecar-inbound"]) {
    const l4 = get(id);
    if (l4?.cpuRatioToNone !== undefined) {
      // The L4 filters run per connection, so per request the path should cost what plain Envoy's does.
      out.push({ target: `${id}: per request ≈ plain Envoy (within 10 %)`, figure: `${fmt(l4.cpuRatioToNone, 2)}× (a) per request; ${fmt(l4.addedCpuPer1000Connections, 3)} CPU·s per 1000 connections above (a)`, ok: l4.cpuRatioToNone <= 1.1 });
    }
    if (l4?.addedCpuPer1000 !== undefined) {
      out.push({ target: `${id}: ≤ 0.06 vCPU per 1000 rps over plain Envoy`, figure: `+${fmt(l4.addedCpuPer1000, 4)} CPU·s per 1000 requests (${fmt(l4.cpuRatioToNone, 2)}× (a))`, ok: l4.addedCpuPer1000 <= 0.06 });
    }
  }
  const hbone = get("connect/ztunnel-inbound")?.streamMBps;
  const plain = get("tcp/none")?.streamMBps;
  if (hbone && plain) {
    out.push({ target: "HBONE MB/s ≥ 90% of tcp_proxy over TLS", figure: `${fmt(hbone.median, 0)} vs ${fmt(plain.median, 0)} MB/s (${fmt((100 * hbone.median) / plain.median, 0)}%)`, ok: hbone.median >= 0.9 * plain.median });
  }
  for (const x of f) {
    out.push({ target: `${x.id} (${x.protocol}): counters equal what the generator sent`, figure: JSON.stringify(x.counters), ok: x.countersEqual });
  }
  return out;
}

function cell(s: Spread | undefined, digits: number): string {
  if (!s || s.n === 0) return "-";
  return s.n === 1 ? s.median.toFixed(digits) : `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;
}

export function table(f: CaseFigures[], v: Verdict[]): string {
  const head = ["case", "proto", "CPU·s/1000 req", "×(a)", "×(b)", "RSS MiB", "+p50 µs", "+p90 µs", "+p99 µs", "max rps", "CPU·s/1000 conn", "stream MB/s"];
  const rows = f.map((x) => [
    `${x.group} ${x.id}`,
    x.protocol,
    cell(x.cpuPer1000, 4),
    x.cpuRatioToNone ? x.cpuRatioToNone.toFixed(2) : "-",
    x.cpuRatioToNative ? x.cpuRatioToNative.toFixed(2) : "-",
    cell(x.rssMiB, 1),
    x.addedLatencyUs ? x.addedLatencyUs.p50.toFixed(0) : "-",
    x.addedLatencyUs ? x.addedLatencyUs.p90.toFixed(0) : "-",
    x.addedLatencyUs ? x.addedLatencyUs.p99.toFixed(0) : "-",
    cell(x.maxRps, 0),
    cell(x.cpuPer1000Connections, 3),
    cell(x.streamMBps, 0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ");
  const lines = [line(head), ...rows.map(line), "", "targets:"];
  for (const t of v) lines.push(`  ${t.ok === null ? "n/a " : t.ok ? "ok  " : "MISS"}  ${t.target}: ${t.figure}`);
  return lines.join("\n");
}
