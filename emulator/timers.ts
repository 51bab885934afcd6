// Virtual clock and per-root-context tick timers (envoy source/extensions/common/wasm/wasm.cc
// setTimerPeriod/tickHandler: one timer per root context, re-armed after each tick, period 0 disables).

/** One root context's timer; `R` is the root context type (kept opaque here). */
interface Timer<R> { ctx: R; periodMs: number; dueMs: number }

/** Milliseconds (virtual clock values) → integer nanoseconds. */
export function msToNanos(ms: number): bigint { return BigInt(Math.round(ms)) * 1_000_000n; }

export class VirtualClock<R> {
  /** Wall clock, ms since the epoch (proxy_get_current_time_nanoseconds uses the real-time clock). */
  nowMs: number;
  /** Monotonic ms since host start. */
  monotonicMs = 0;
  private timers = new Map<R, Timer<R>>();

  constructor(startMs: number) { this.nowMs = startMs; }

  nowNanos(): bigint { return msToNanos(this.nowMs); }
  monotonicNanos(): bigint { return BigInt(Math.round(this.monotonicMs)) * 1_000_000n; }

  setTickPeriod(root: R, periodMs: number): void {
    if (periodMs <= 0) { this.timers.delete(root); return; }
    this.timers.set(root, { ctx: root, periodMs, dueMs: this.monotonicMs + periodMs });
  }

  tickPeriod(root: R): number { return this.timers.get(root)?.periodMs ?? 0; }

  /** Advance time, firing due timers in time order via `fire`. */
  advance(ms: number, fire: (root: R) => void): void {
    const end = this.monotonicMs + ms;
    for (;;) {
      let next: Timer<R> | null = null;
      for (const t of this.timers.values()) if (t.dueMs <= end && (!next || t.dueMs < next.dueMs)) next = t;
      if (!next) break;
      const delta = next.dueMs - this.monotonicMs;
      this.monotonicMs = next.dueMs;
      this.nowMs += delta;
      next.dueMs += next.periodMs; // re-armed after the tick (tickHandler)
      fire(next.ctx);
    }
    this.nowMs += end - this.monotonicMs;
    this.monotonicMs = end;
  }

  removeAll(root: R): void { this.timers.delete(root); }
}
