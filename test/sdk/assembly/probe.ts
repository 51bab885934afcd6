// SDK probe module for test/sdk: two root contexts ("alpha": HTTP probe, "beta": TCP probe and a second HTTP
// root) that exercise the SDK API and report results in forwarded headers, bodies and logs.
export * from "../../../sdk/exports";
import {
  Counter, FilterDataStatus, FilterHeadersStatus, FilterStatus, FilterTrailersStatus, Gauge, HeaderPair, Histogram,
  HttpContext, LifeSpan, LogLevel, PeerType, RootContext, TcpContext, downstreamData, getPropertyBool, getPropertyInt64,
  getPropertyString, getCalloutStatus, httpCallResponseBody, httpCallResponseHeaders, lastStatus, log, registerRootContext, requestBody, requestHeaders, requestTrailers,
  responseBody, responseHeaders, setEnvoyFilterState, setPropertyString, upstreamData,
} from "../../../sdk";
import { SocketAddress, formatIp, parseSocketAddress } from "../../../lib/address";

const SOURCE_ADDRESS: string[] = ["source", "address"];
const MTLS: string[] = ["connection", "mtls"];
const SOURCE_PORT: string[] = ["source", "port"];
const MISSING: string[] = ["no_such_property"];
const PROBE_VALUE: string[] = ["probe_value"];
const RESPONSE_CODE: string[] = ["response", "code"];

class AlphaRoot extends RootContext {
  requests: Counter | null = null;
  gauge: Gauge | null = null;
  histogram: Histogram | null = null;
  configText: string = "";

  ticks: Counter | null = null;

  onTick(): void {
    this.ticks!.increment();
  }

  onConfigure(size: u32): bool {
    this.configText = this.getPluginConfiguration();
    if (this.configText == "tick") {
      this.ticks = new Counter("probe_ticks_total");
      this.setTickPeriod(1000);
    }
    if (this.configText == "reject") {
      log.error("probe: $.mode: rejected on purpose");
      return false;
    }
    this.requests = new Counter("probe_requests_total");
    this.gauge = new Gauge("probe_gauge");
    this.histogram = new Histogram("probe_histogram");
    return true;
  }

  newHttpContext(id: u32): HttpContext | null {
    return new AlphaHttp(id, this);
  }
}

function note(name: string, value: string): void {
  requestHeaders.add("x-r-" + name, value);
}

class AlphaHttp extends HttpContext {
  verbose: bool = false;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const root = changetype<AlphaRoot>(this.root);
    const path = requestHeaders.get(":path");
    if (path !== null && path == "/deny") {
      this.sendLocalResponse(401, "probe denied", "nope", [new HeaderPair("x-deny", "1")]);
      return FilterHeadersStatus.StopIteration;
    }
    if (path !== null && path == "/quiet") {
      // Only the gated debug line: nothing else may reach proxy_log.
      if (log.enabled(LogLevel.Debug)) log.debug("probe-debug context " + this.id.toString());
      return FilterHeadersStatus.Continue;
    }
    if (path !== null && path == "/fast") return FilterHeadersStatus.Continue;
    if (path !== null && path == "/abort") {
      const empty = new Array<string>(0);
      note("never", empty[numHeaders]); // out of range → AssemblyScript abort → sdk/runtime/abort
    }
    if (path !== null && path == "/callout") {
      const token = this.httpCall("auth", [
        new HeaderPair(":method", "GET"), new HeaderPair(":path", "/check"), new HeaderPair(":authority", "auth.local"),
      ], null, null, 1000);
      note("callout-token", token == 0 ? "failed:" + (<i32>lastStatus()).toString() : "ok");
      return token == 0 ? FilterHeadersStatus.Continue : FilterHeadersStatus.StopAllIterationAndWatermark;
    }
    this.verbose = true;
    const pairCount = requestHeaders.getPairs().length;
    note("root", this.root.rootId);
    note("config", root.configText);
    note("num-headers", numHeaders.toString());
    note("pairs", pairCount.toString());
    note("path", path === null ? "null" : path);

    const missing = getPropertyString(MISSING);
    note("missing", missing === null ? "null:" + (<i32>lastStatus()).toString() : "found");
    const absent = requestHeaders.get("x-absent");
    note("absent-header", absent === null ? "null:" + (<i32>lastStatus()).toString() : absent);

    const source = getPropertyString(SOURCE_ADDRESS);
    const ipPort: SocketAddress | null = source === null ? null : parseSocketAddress(source);
    note("src-ip", ipPort === null ? "none" : formatIp(ipPort.ip));
    note("src-port", ipPort === null ? "none" : ipPort.port.toString());
    note("src-port-prop", getPropertyInt64(SOURCE_PORT, -1).toString());
    note("mtls", getPropertyBool(MTLS, false) ? "true" : "false");

    requestHeaders.add("x-added", "a1");
    requestHeaders.add("x-added", "a2");
    note("replace-status", (<i32>requestHeaders.replace("x-replace-me", "new")).toString());
    note("remove-status", (<i32>requestHeaders.remove("x-remove-me")).toString());
    note("remove-absent-status", (<i32>requestHeaders.remove("x-never-there")).toString());

    note("setprop", (<i32>setPropertyString("probe_value", "hello")).toString());
    const back = getPropertyString(PROBE_VALUE);
    note("getprop", back === null ? "null" : back);

    note("fs", (<i32>setEnvoyFilterState("envoy.network.transport_socket.original_dst_address", "10.1.2.3:8080", LifeSpan.Request)).toString());
    note("fs-unknown", (<i32>setEnvoyFilterState("not.registered.key", "x")).toString());
    note("fs-bad", (<i32>setEnvoyFilterState("envoy.network.transport_socket.original_dst_address", "nonsense")).toString());
    note("fs-cluster", (<i32>setEnvoyFilterState("envoy.upstream.dynamic_host", "example.com")).toString());

    root.requests!.increment();
    note("counter", root.requests!.get().toString());
    note("inc0", (<i32>root.requests!.increment(0)).toString());
    root.gauge!.set(7);
    root.gauge!.add(-2);
    note("gauge", root.gauge!.get().toString());
    note("histogram", (<i32>root.histogram!.record(42)).toString());

    if (log.enabled(LogLevel.Debug)) log.debug("probe-debug context " + this.id.toString());
    log.info("probe-info");
    return FilterHeadersStatus.Continue;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    if (numHeaders == 0) {
      note("callout-status", "reset:" + getCalloutStatus().toString());
    } else {
      const status = httpCallResponseHeaders.get(":status");
      const body = httpCallResponseBody.getString(0, bodySize);
      note("callout-status", status === null ? "null" : status);
      note("callout-body", body === null ? "null" : body);
    }
    this.continueRequest();
  }

  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    if (!endOfStream) return FilterDataStatus.StopIterationAndBuffer;
    const body = requestBody.getString(0, bodySize);
    requestBody.replaceString(bodySize, "[" + (body === null ? "null" : body) + "]");
    requestBody.prependString("<");
    requestBody.appendString(">");
    return FilterDataStatus.Continue;
  }

  onRequestTrailers(numTrailers: u32): FilterTrailersStatus {
    requestTrailers.add("x-trailer-added", numTrailers.toString());
    return FilterTrailersStatus.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    responseHeaders.add("x-root", this.root.rootId);
    responseHeaders.add("x-pages", memory.size().toString());
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    if (endOfStream) responseBody.appendString("!");
    return FilterDataStatus.Continue;
  }

  onLog(): void {
    if (!this.verbose) return;
    log.info("alpha log code=" + getPropertyInt64(RESPONSE_CODE, -1).toString());
  }

  onDone(): bool {
    if (this.verbose) log.info("alpha done");
    return true;
  }
}

class BetaRoot extends RootContext {
  connections: Counter | null = null;

  onConfigure(size: u32): bool {
    this.connections = new Counter("probe_beta_connections_total");
    return true;
  }

  newHttpContext(id: u32): HttpContext | null {
    return new BetaHttp(id, this);
  }

  newTcpContext(id: u32): TcpContext | null {
    return new BetaTcp(id, this);
  }
}

class BetaHttp extends HttpContext {
  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    responseHeaders.add("x-root", this.root.rootId);
    return FilterHeadersStatus.Continue;
  }
}

class BetaTcp extends TcpContext {
  chunks: i32 = 0;

  onNewConnection(): FilterStatus {
    changetype<BetaRoot>(this.root).connections!.increment();
    const quiet = getPropertyBool(["filter_state", "probe.quiet"], false);
    if (!quiet) {
      log.info("tcp new fs=" + (<i32>setEnvoyFilterState("envoy.tcp_proxy.cluster", "beta-cluster")).toString() +
        " prop=" + (<i32>setPropertyString("conn_marker", "b")).toString());
    }
    return FilterStatus.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    this.chunks++;
    downstreamData.prependString(">");
    setPropertyString("pages", memory.size().toString());
    return FilterStatus.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    upstreamData.appendString("<");
    return FilterStatus.Continue;
  }

  onDownstreamConnectionClose(peer: PeerType): void {
    if (log.enabled(LogLevel.Info)) log.info("tcp downstream close peer=" + (<i32>peer).toString());
  }

  onUpstreamConnectionClose(peer: PeerType): void {
    if (log.enabled(LogLevel.Info)) log.info("tcp upstream close peer=" + (<i32>peer).toString());
  }

  onDone(): bool {
    log.info("tcp done");
    return true;
  }

  onLog(): void {
    log.info("tcp log");
  }

  onDelete(): void {
    log.info("tcp delete");
  }
}

registerRootContext("alpha", (id: u32): RootContext => new AlphaRoot(id));
registerRootContext("beta", (id: u32): RootContext => new BetaRoot(id));
