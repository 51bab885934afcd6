// Timing helpers: batches timed with the monotonic clock, the measured case interleaved with its floor so slow
// drift (CPU frequency, GC pressure, a noisy neighbour) hits both alike, medians over the rounds.

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Interquartile range relative to the median, in percent: how noisy the rounds were. */
export function iqrPercent(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const q = (f: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(f * (s.length - 1))))];
  return (100 * (q(0.75) - q(0.25))) / median(values);
}

/** Nanoseconds per call of `op` over `n` calls. */
export function timeBatch(op: () => void, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) op();
  return Number(process.hrtime.bigint() - t0) / n;
}

/** Runs `op` until both `minOps` calls and `minMs` milliseconds are reached; returns the calls made. */
export function warmUp(op: () => void, minOps: number, minMs: number): number {
  const end = performance.now() + minMs;
  let n = 0;
  while (n < minOps || performance.now() < end) {
    for (let i = 0; i < 100; i++) op();
    n += 100;
  }
  return n;
}

export interface Interleaved {
  measuredNs: number[];
  floorNs: number[];
  /** Operations run on the measured side. */
  measuredOps: number;
}

/** Batch size for which one batch of `op` takes about `batchMs`. */
function batchSize(op: () => void, batchMs: number): number {
  const probeNs = timeBatch(op, 200);
  return Math.max(20, Math.round((batchMs * 1e6) / probeNs));
}

/**
 * `rounds` rounds of one batch each side, alternating which side goes first; each side's batch size is chosen so
 * its batch takes about `batchMs`.
 */
export function interleave(measured: () => void, floor: () => void, rounds: number, batchMs: number): Interleaved {
  const measuredBatch = batchSize(measured, batchMs);
  const floorBatch = batchSize(floor, batchMs);
  const out: Interleaved = { measuredNs: [], floorNs: [], measuredOps: 200 };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      out.floorNs.push(timeBatch(floor, floorBatch));
      out.measuredNs.push(timeBatch(measured, measuredBatch));
    } else {
      out.measuredNs.push(timeBatch(measured, measuredBatch));
      out.floorNs.push(timeBatch(floor, floorBatch));
    }
    out.measuredOps += measuredBatch;
  }
  return out;
}
