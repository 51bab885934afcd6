// Counts of import (host call) invocations by "module.name" (e.g. "env.proxy_get_property"), kept when the
// host is created with { countHostCalls: true }. Host-wide on `host.hostCalls`; per plugin on `plugin.hostCalls`
// (a call is charged to the plugin of the context it acts on; calls made while no plugin context is active,
// e.g. from `_initialize`, count only host-wide).

export class HostCallCounts {
  readonly counts = new Map<string, number>();

  add(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  /** Calls of one import, e.g. get("env.proxy_log"). */
  get(name: string): number { return this.counts.get(name) ?? 0; }

  /** All calls, optionally leaving some imports out (e.g. ["env.proxy_log"]). */
  total(except: readonly string[] = []): number {
    let n = 0;
    for (const [name, count] of this.counts) if (!except.includes(name)) n += count;
    return n;
  }

  /** `{ "env.proxy_get_property": 2, ... }`, sorted by name. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  reset(): void { this.counts.clear(); }
}
