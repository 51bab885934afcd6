// What a VM failure (trap → FailState::RuntimeError) does to traffic.
// - The current and later callbacks on a failed VM go through CHECK_FAIL (proxy-wasm-cpp-host src/context.cc):
//   PluginBase fail_open_ → Continue; otherwise fail the stream once (envoy context.cc failStream: HTTP 503 local
//   reply "wasm_fail_stream" with gRPC Unavailable, network: close the connection with FlushWrite) and stop.
//   Envoy sets fail_open_ from the legacy `fail_open` bool only (envoyproxy/envoy:source/extensions/common/wasm/plugin.h):
//   under `failure_policy: FAIL_OPEN` the stream that trapped still fails.
// - New streams (envoy source/extensions/common/wasm/wasm.cc PluginConfig::createContext): FAIL_OPEN → the filter
//   is not installed; FAIL_CLOSED → installed, so every stream fails as above; FAIL_RELOAD → the VM is rebuilt.
import type { PluginInfo } from "./context.ts";
import type { Vm, VmContext } from "./vm.ts";

/** CHECK_FAIL: true when the callback should continue (fail-open); otherwise fails the stream once. */
export function continueAfterFailure(plugin: PluginInfo, ctx: VmContext): boolean {
  if (plugin.failOpen) return true;
  if (!ctx.streamFailed) {
    ctx.streamFailed = true;
    ctx.owner?.failStream(ctx);
  }
  return false;
}

export type StreamCreation = "install" | "skip" | "reload";

/** PluginConfig::createContext when the plugin's VM on this worker may have failed. */
export function onStreamCreationAfterFailure(plugin: PluginInfo, vm: Vm): StreamCreation {
  if (!vm.failed) return "install";
  if (plugin.failurePolicy === "FAIL_OPEN") return "skip";
  if (plugin.failurePolicy === "FAIL_RELOAD") return "reload";
  return "install";
}
