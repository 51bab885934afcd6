// Envoy histograms, modelled on the library Envoy records them into: libcircllhist
// (openhistogram/libcircllhist, tag py-0.3.2, the version pinned in envoyproxy/envoy bazel/repository_locations.bzl).
//
// Envoy: ThreadLocalHistogramImpl::recordValue(uint64_t v) calls hist_insert_intscale(h, v, 0, 1)
// (source/common/stats/thread_local_store.cc); the Prometheus exposition reads HistogramStatisticsImpl::refresh
// (source/common/stats/histogram_impl.cc): sample_count = hist_sample_count, sample_sum = hist_approx_sum,
// computed_buckets[i] = hist_approx_count_below(h, supported_buckets[i]).
//
// circllhist keeps one counter per log-linear bin: two significant decimal digits `val` (10..99) and a decimal
// exponent, bin [val/10 * 10^exp, (val+1)/10 * 10^exp). Consequences Envoy users see and this model reproduces:
// - `_sum` is not the sum of the recorded values but the sum of each bin's "minimum error" midpoint
//   (bottom + width * bottom / (bottom + top)), e.g. one sample of 300 sums to 304.91803278688524…;
// - `_bucket{le="B"}` counts every bin whose lower bound is <= B, so 505 is counted under le="500".

/** Envoy's default histogram bucket bounds (source/common/stats/histogram_impl.cc, HistogramSettingsImpl::defaultBuckets). */
export const DEFAULT_HISTOGRAM_BUCKETS: readonly number[] = Object.freeze([
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
]);

/** One circllhist bin: `val` in ±[10, 99] (0 for the zero bin) and a decimal exponent. */
interface Bin {
  val: number;
  exp: number;
  count: number;
  /** hist_bucket_to_double: the bin's bound nearest zero. */
  bound: number;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function powerOfTen(exp: number): number {
  // circllhist's power_of_ten[] table holds the C literals 1, 10, ..., 1e-01; parsing the same literal gives the same double.
  return Number(`1e${exp}`);
}

/** int_scale_to_hist_bucket(value, 0). */
function binOfInteger(value: bigint): { val: number; exp: number } {
  if (value === 0n) return { val: 0, exp: 0 };
  let scale = 1;
  let sign = 1;
  let v = value;
  if (v < 0n) {
    v = v === INT64_MIN ? INT64_MAX : -v;
    sign = -1;
  }
  if (v < 10n) {
    v *= 10n;
    scale -= 1;
  }
  while (v >= 100n) {
    v /= 10n;
    scale++;
  }
  return { val: sign * Number(v), exp: scale };
}

function binBound(val: number, exp: number): number {
  if (val === 0) return 0;
  return (val / 10.0) * powerOfTen(exp);
}

function binWidth(bin: Bin): number {
  if (bin.val === 0) return 0;
  return powerOfTen(bin.exp) / 10.0;
}

/** hist_bucket_midpoint: the minimum-relative-error point of the bin. */
function binMidpoint(bin: Bin): number {
  if (bin.val === 0) return 0;
  const bottom = bin.bound;
  let interval = binWidth(bin);
  if (bottom < 0) interval *= -1.0;
  const top = bottom + interval;
  const ratio = bottom / (bottom + top);
  return bottom + interval * ratio;
}

export interface HistogramStatistics {
  /** The bucket upper bounds reported (Envoy's supportedBuckets). */
  supportedBuckets: readonly number[];
  /** Cumulative count per bound, as hist_approx_count_below computes it. */
  computedBuckets: number[];
  sampleCount: number;
  sampleSum: number;
}

/** A log-linear histogram of integer samples (circllhist). */
export class LogLinearHistogram {
  private readonly bins = new Map<number, Bin>();
  private sorted: Bin[] | null = [];

  /** Record one sample; `value` is a uint64 as Envoy receives it, reinterpreted as int64 like the C call does. */
  insert(value: bigint, count = 1): void {
    const { val, exp } = binOfInteger(BigInt.asIntN(64, value));
    const key = val * 1024 + exp;
    const bin = this.bins.get(key);
    if (bin) {
      bin.count += count;
      return;
    }
    this.bins.set(key, { val, exp, count, bound: binBound(val, exp) });
    this.sorted = null;
  }

  /** Bins on the real axis, lowest first (circllhist keeps its bins in this order). */
  private orderedBins(): Bin[] {
    if (!this.sorted) this.sorted = [...this.bins.values()].sort((a, b) => a.bound - b.bound);
    return this.sorted;
  }

  /** hist_sample_count. */
  sampleCount(): number {
    let n = 0;
    for (const bin of this.bins.values()) n += bin.count;
    return n;
  }

  /** hist_approx_sum: Σ midpoint × count, summed in bin order. */
  approxSum(): number {
    let sum = 0.0;
    for (const bin of this.orderedBins()) sum += binMidpoint(bin) * bin.count;
    return sum;
  }

  /** hist_approx_count_below (py-0.3.2): samples in every bin whose lower edge is <= threshold. */
  countBelow(threshold: number): number {
    let running = 0;
    for (const bin of this.orderedBins()) {
      const lower = bin.bound < 0 ? bin.bound - binWidth(bin) : bin.bound;
      if (lower <= threshold) running += bin.count;
      else break;
    }
    return running;
  }

  /** What HistogramStatisticsImpl::refresh computes for these bounds. */
  statistics(supportedBuckets: readonly number[] = DEFAULT_HISTOGRAM_BUCKETS): HistogramStatistics {
    return {
      supportedBuckets,
      computedBuckets: supportedBuckets.map((b) => this.countBelow(b)),
      sampleCount: this.sampleCount(),
      sampleSum: this.approxSum(),
    };
  }
}
