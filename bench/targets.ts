// The performance targets (issue 8). They are checked here, in the benchmark, never in timed tests.

export interface BenchResult {
  name: string;
  ns_per_op: number;
  floor_ns_per_op: number;
  ratio: number;
  host_calls_per_op: number;
  memory_pages_growth: number;
  wasm_bytes: number;
  start_ms: number;
}

export interface TargetCheck {
  target: string;
  limit: number;
  value: number;
  pass: boolean;
}

export const LIMITS = {
  chainRatio: 3,
  istioStatsHttpRatio: 2,
  hostCallsPerHttpRequest: 8,
  moduleBytes: 24 * 1024,
  startMs: 5,
  memoryPagesGrowth: 8,
} as const;

const isChain = (name: string) => name.startsWith("chain/");
const isHttp = (name: string) => name.endsWith("/http") || name.endsWith("-http");

/** The targets that apply to one result. */
export function checkTargets(r: BenchResult): TargetCheck[] {
  const out: TargetCheck[] = [];
  const add = (target: string, limit: number, value: number) => out.push({ target, limit, value, pass: value <= limit });
  if (r.name === "chain/inbound-http") add("ratio", LIMITS.chainRatio, r.ratio);
  if (r.name === "istio-stats/http") add("ratio", LIMITS.istioStatsHttpRatio, r.ratio);
  if (!isChain(r.name) && isHttp(r.name)) add("host_calls_per_op", LIMITS.hostCallsPerHttpRequest, r.host_calls_per_op);
  // Module size and start time are per module: the chain's figures are sums over three modules.
  if (!isChain(r.name)) {
    add("wasm_bytes", LIMITS.moduleBytes, r.wasm_bytes);
    add("start_ms", LIMITS.startMs, r.start_ms);
  }
  add("memory_pages_growth", LIMITS.memoryPagesGrowth, r.memory_pages_growth);
  return out;
}
