// example-header: the "how to write a filter" example (see README.md).
// Adds a configured response header, counts requests, and rejects configured paths with a local reply.
export * from "../../sdk/exports";
import {
  Counter, FilterHeadersStatus, HeaderPair, HttpContext, RootContext, log, registerRootContext, requestHeaders, responseHeaders,
} from "../../sdk";
import { ExampleConfig, parseExampleConfig } from "./config";

class ExampleRoot extends RootContext {
  config: ExampleConfig = new ExampleConfig();
  requests: Counter | null = null;
  denied: Counter | null = null;

  onConfigure(configurationSize: u32): bool {
    const parsed = parseExampleConfig(this.getPluginConfiguration());
    const config = parsed.config;
    if (config === null) {
      log.error("example-header: invalid configuration: " + parsed.error);
      return false;
    }
    this.config = config;
    if (this.requests === null) {
      this.requests = new Counter("example_header_requests_total");
      this.denied = new Counter("example_header_denied_total");
    }
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null {
    return new ExampleHttp(contextId, this);
  }
}

class ExampleHttp extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const root = changetype<ExampleRoot>(this.root);
    root.requests!.increment();
    const denyPaths = root.config.denyPaths;
    if (denyPaths.length == 0) return FilterHeadersStatus.Continue;
    const path = requestHeaders.get(":path");
    if (path === null || !isDenied(path, denyPaths)) return FilterHeadersStatus.Continue;
    root.denied!.increment();
    // Local-reply headers are HeaderPairs (lower-case names); Envoy adds :status, content-type, content-length.
    const headers: HeaderPair[] = [new HeaderPair("x-denied-by", "example-header")];
    this.sendLocalResponse(root.config.denyStatus, "example_header_denied", "denied\n", headers);
    return FilterHeadersStatus.StopIteration;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const config = changetype<ExampleRoot>(this.root).config;
    responseHeaders.replace(config.headerName, config.headerValue);
    return FilterHeadersStatus.Continue;
  }
}

// The path without its query string, compared exactly.
function isDenied(path: string, denyPaths: string[]): bool {
  const q = path.indexOf("?");
  const bare = q < 0 ? path : path.substring(0, q);
  for (let i = 0, n = denyPaths.length; i < n; i++) {
    if (unchecked(denyPaths[i]) == bare) return true;
  }
  return false;
}

registerRootContext("example-header", (id: u32): RootContext => new ExampleRoot(id));
