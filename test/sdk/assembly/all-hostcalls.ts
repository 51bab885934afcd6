// Uses every SDK host-call wrapper so the module imports every raw declaration in sdk/hostcalls.ts; the test
// loads it on the emulator, which (like Envoy) rejects unknown imports and signature mismatches.
// The root's onTick runs the calls when the configuration is "run" (with status checks, never traps).
export * from "../../../sdk/exports";
import {
  BufferType, Counter, Gauge, HeaderPair, Histogram, HttpContext, LogLevel, RootContext, StreamType, WasmResult,
  callForeignFunction, clearRouteCache, declareProperty, dequeueSharedQueue, enqueueSharedQueue, getCurrentTimeNanoseconds,
  getCalloutStatus, getProperty, getSharedData, grpcCancel, grpcClose, grpcSend, lastStatus, log, registerRootContext,
  registerSharedQueue, requestBody, requestHeaders, resolveSharedQueue, setEffectiveContext, setEnvoyFilterState, setProperty,
  setSharedData,
} from "../../../sdk";
import * as host from "../../../sdk/hostcalls";

class AllRoot extends RootContext {
  onConfigure(size: u32): bool {
    return this.getPluginConfiguration() != "fail";
  }

  onTick(): void {
    const results = new Array<i32>();
    const md = [new HeaderPair("a", "b")];
    const payload = String.UTF8.encode("x");
    results.push(this.httpCall("c", md, payload, md, 10) == 0 ? <i32>lastStatus() : 0);
    results.push(this.grpcCall(String.UTF8.encode("c"), "svc", "m", md, payload, 10) == 0 ? <i32>lastStatus() : 0);
    results.push(this.grpcStream(String.UTF8.encode("c"), "svc", "m", md) == 0 ? <i32>lastStatus() : 0);
    results.push(grpcSend(99, payload, true));
    results.push(grpcCancel(99));
    results.push(grpcClose(99));
    getCalloutStatus();
    results.push(setSharedData("k", payload, 0));
    results.push(getSharedData("k") === null ? -1 : 0);
    const q = registerSharedQueue("q");
    results.push(enqueueSharedQueue(q, payload));
    results.push(dequeueSharedQueue(resolveSharedQueue("", "q")) === null ? -1 : 0);
    results.push(new Counter("all_c").increment(1));
    results.push(new Gauge("all_g").set(1));
    results.push(new Histogram("all_h").record(1));
    results.push(setEffectiveContext(this.id));
    results.push(callForeignFunction("compress", payload) === null ? -1 : 0);
    results.push(setEnvoyFilterState("envoy.string", "v"));
    results.push(declareProperty("p"));
    results.push(clearRouteCache());
    results.push(setProperty("p", payload));
    results.push(getProperty(["plugin_name"]) === null ? -1 : 0);
    results.push(requestBody.size() < 0 ? -1 : 0);
    results.push(requestBody.append(payload));
    results.push(requestHeaders.setPairs(md));
    results.push(requestHeaders.getPairs().length);
    results.push(<i32>requestHeaders.byteSize());
    results.push(requestHeaders.replace("a", "b"));
    results.push(requestHeaders.add("a", "c"));
    results.push(requestHeaders.get("a") === null ? <i32>lastStatus() : 0);
    results.push(<i32>new Counter("all_c").get());
    results.push(requestHeaders.remove("a"));
    results.push(host.continueStream(StreamType.Request));
    results.push(host.closeStream(StreamType.Request));
    results.push(host.sendLocalResponse(200, "d", "b", md, -1));
    results.push(host.getBufferBytes(BufferType.VmConfiguration, 0, 10) === null ? -1 : 0);
    results.push(<i32>(getCurrentTimeNanoseconds() > 0));
    results.push(host.done());
    let text = "";
    for (let i = 0; i < results.length; i++) text += (i > 0 ? "," : "") + results[i].toString();
    if (log.enabled(LogLevel.Info)) log.info("results " + text);
  }

  onVmStart(size: u32): bool {
    this.setTickPeriod(1000);
    return true;
  }

  newHttpContext(id: u32): HttpContext | null {
    return new HttpContext(id, this);
  }
}

registerRootContext("", (id: u32): RootContext => new AllRoot(id));
