// What an HTTP stream or a TCP connection uses of the host (host.ts implements it): the clock, the worker it
// runs on, the plugin's root context on that worker, and the dispatcher that runs deferred work.
import type { Plugin } from "./plugin.ts";
import type { PluginInstance } from "./vm-set.ts";
import type { VirtualClock } from "./timers.ts";
import type { VmContext } from "./vm.ts";

export interface StreamHost {
  readonly clock: VirtualClock<VmContext>;
  /** The worker a new stream runs on: the requested one, else round-robin. */
  assignWorker(requested: number | undefined): number;
  /** The plugin's instance on the worker, after Envoy's failure handling (null: the filter is skipped). */
  prepareForStream(plugin: Plugin, worker: number): PluginInstance | null;
  /** Runs what hostcalls deferred (callout answers, queue notifications). */
  dispatch(): void;
}
