// Runs fuzz inputs through a filter in the emulator and checks the properties every input must keep:
// - no trap (host.traps stays empty, the VM never fails);
// - bounded memory (linear memory never above a cap; no growth trend over a long run);
// - deterministic decisions: the same input run twice on a warm VM, and on a freshly loaded VM, decides the same.
import type { Host, Plugin } from "../../emulator/index.ts";

export interface Env {
  host: Host;
  plugins: Plugin[];
}

export interface Outcome {
  /** Everything the filter decided, as JSON-able data without values that legitimately change per run. */
  decision: unknown;
  /** Context id of the (first) filter's stream context, when decisions may depend on it (see idPeriod). */
  contextId?: number;
}

export interface Target<I> {
  /** "hbone-inbound/traffic" */
  name: string;
  /** build/<filter>.wasm */
  filter: string;
  setup(): Env;
  /** The long-lived VM, when it should load more up front than a fresh one (default: setup). */
  warmSetup?(): Env;
  run(env: Env, input: I): Outcome;
  /**
   * Decisions may depend on the stream's context id modulo this period (hbone-outbound spreads a service's
   * backends by context id). Runs that are compared are aligned to the same residue with `spacer`.
   */
  idPeriod?: number;
  /** A fixed operation; returns the context id it used. Required with idPeriod > 1. */
  spacer?(env: Env): number;
  /** Start a new warm host after this many inputs (bounds host-side state such as Envoy's stats). */
  recycleEvery?: number;
  /** Memory cap in pages for the filter VMs. Default 512 (32 MiB). */
  maxPages?: number;
}

export class PropertyViolation extends Error {}

const stable = (v: unknown) => JSON.stringify(v);

export function memoryPages(plugins: Plugin[]): number {
  let pages = 0;
  for (const vm of new Set(plugins.map((p) => p.vm))) pages += vm.mem.memory.buffer.byteLength / 65536;
  return pages;
}

function trapsOf(env: Env): string | null {
  const t = env.host.traps[0];
  return t ? `${t.callback}: ${t.message}` : null;
}

export class FuzzSession<I> {
  private warm: Env;
  private sinceRecycle = 0;
  inputs = 0;
  freshChecks = 0;
  maxPages = 0;
  readonly pagesTrail: number[] = [];

  constructor(readonly target: Target<I>, readonly freshEvery: number) {
    this.warm = (target.warmSetup ?? target.setup).call(target);
  }

  /** A new warm VM (after a failure, whose VM may be failed or in an unknown state). */
  restart(): void {
    this.warm = (this.target.warmSetup ?? this.target.setup).call(this.target);
    this.sinceRecycle = 0;
  }

  private align(residue: number): void {
    const period = this.target.idPeriod ?? 1;
    if (period <= 1) return;
    for (let i = 0; i <= period; i++) {
      const used = this.target.spacer!(this.warm);
      if ((((used + 1 - residue) % period) + period) % period === 0) return;
    }
    throw new Error(`${this.target.name}: cannot align context ids`);
  }

  /** Checks one input; throws PropertyViolation describing the broken property. */
  check(input: I): void {
    const t = this.target;
    if (t.recycleEvery && this.sinceRecycle >= t.recycleEvery) this.restart();
    this.sinceRecycle++;
    this.inputs++;

    let fresh: Outcome | null = null;
    if (this.freshEvery > 0 && this.inputs % this.freshEvery === 1 % this.freshEvery) {
      const env = t.setup();
      fresh = t.run(env, input);
      const trap = trapsOf(env);
      if (trap) throw new PropertyViolation(`${t.name}: trap on a fresh VM: ${trap}`);
      this.freshChecks++;
      if (fresh.contextId !== undefined) this.align(fresh.contextId);
    }

    const first = t.run(this.warm, input);
    let trap = trapsOf(this.warm);
    if (trap) { this.restart(); throw new PropertyViolation(`${t.name}: trap: ${trap}`); }
    if (first.contextId !== undefined) this.align(first.contextId);
    const second = t.run(this.warm, input);
    trap = trapsOf(this.warm);
    if (trap) { this.restart(); throw new PropertyViolation(`${t.name}: trap on the second run: ${trap}`); }

    const a = stable(first.decision), b = stable(second.decision);
    if (a !== b) throw new PropertyViolation(`${t.name}: same input, different decisions on a warm VM:\n  ${a}\n  ${b}`);
    if (fresh) {
      const f = stable(fresh.decision);
      if (f !== a) throw new PropertyViolation(`${t.name}: fresh and warm VMs decide differently:\n  fresh ${f}\n  warm  ${a}`);
    }

    const pages = memoryPages(this.warm.plugins);
    if (pages > this.maxPages) this.maxPages = pages;
    const cap = t.maxPages ?? 512;
    if (pages > cap) throw new PropertyViolation(`${t.name}: linear memory ${pages} pages > cap ${cap}`);
    if (this.inputs % 1000 === 0) this.pagesTrail.push(pages);
  }
}
