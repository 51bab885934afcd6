import { describe, it, expect } from "vitest";
import { Host, encodePairs, type Props } from "../../emulator/index.ts";
import { wat, messages } from "./wat.ts";

const REQ: Array<[string, string]> = [[":method", "POST"], [":path", "/a/b?x=1"], [":authority", "svc.ns"], [":scheme", "https"],
  ["user-agent", "curl"], ["x-request-id", "rid"], ["multi", "1"], ["multi", "2"]];

const CONN: Props = {
  "source.address": "10.0.0.1:4567",
  "destination.address": "[fd00::2]:8080",
  "connection.mtls": true,
  "connection.uri_san_peer_certificate": "spiffe://cluster.local/ns/a/sa/b",
};

const INT_PATHS = new Set(["source.port", "destination.port", "xds.listener_direction", "response.code"]);
const hint = (path: string) => (INT_PATHS.has(path) ? "i" : path === "connection.mtls" ? "b" : "s");

/** Read `path` (dotted for readability, NUL-separated on the wire) from a stream, a connection and the root. */
async function read(path: string, opts: { host?: Host; props?: Props; response?: boolean; tcp?: boolean } = {}): Promise<string[]> {
  const host = opts.host ?? new Host({ nodeId: "node-1", nodeMetadata: { NAME: "pod-a", LABELS: { app: "x" }, N: 3 } });
  const p = await host.loadPlugin({ module: await wat("getprop"), configuration: hint(path) + path.split(".").join("\u0000"),
    name: "plug", rootId: "root-a", vmId: "vm-a", listenerDirection: "INBOUND" });
  const before = host.logs.length;
  if (opts.tcp) {
    host.tcpConnection({ filters: [p], properties: { ...CONN, ...opts.props } }).open().downstreamData("x");
  } else {
    const s = host.httpStream({ filters: [p], connection: CONN, properties: opts.props });
    s.sendRequestHeaders(REQ, true);
    if (opts.response) s.sendResponseHeaders([[":status", "201"], ["server", "up"]], true);
  }
  host.advanceTime(1000);
  return messages(host.logs.slice(before));
}

describe("properties (§4, §10.12)", () => {
  it("counts request.total_size as body bytes plus visible request header bytes, never trailers", async () => {
    // envoy source/extensions/filters/common/expr/context.cc RequestWrapper: bytesReceived() + headers byteSize().
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("getprop"), configuration: "irequest\u0000total_size" });
    const headerBytes = REQ.reduce((n, [k, v]) => n + k.length + v.length, 0);
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders(REQ).sendRequestBody("hello").sendRequestTrailers([["x-trailer", "0123456789"]]);
    s.sendResponseHeaders([[":status", "200"]], true);
    // In on_request_headers: headers only. In on_response_headers the request headers are out of their
    // window, so only the 5 body bytes count — the trailers add nothing.
    expect(messages(host.logs)).toEqual(["stream=0", "len=8", `i64=${headerBytes}`, "response=0", "len=8", "i64=5"]);
  });

  it("reads request.size from content-length, NotFound when it does not parse", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("getprop"), configuration: "irequest\u0000size" });
    host.httpStream({ filters: [p] }).sendRequestHeaders([...REQ, ["content-length", "12"]]);
    host.httpStream({ filters: [p] }).sendRequestHeaders([...REQ, ["content-length", "x12"]]);
    expect(messages(host.logs)).toEqual(["stream=0", "len=8", "i64=12", "stream=1"]);
  });

  it("source.address includes the port; source.port is an int64", async () => {
    expect(await read("source.address")).toEqual(["stream=0", "len=13", "10.0.0.1:4567", "root=1"]);
    expect(await read("source.port")).toEqual(["stream=0", "len=8", "i64=4567", "root=1"]);
    expect(await read("destination.port")).toEqual(["stream=0", "len=8", "i64=8080", "root=1"]);
  });

  it("encodes booleans as one byte and reads connection attributes set by the test", async () => {
    expect(await read("connection.mtls")).toEqual(["stream=0", "len=1", "bool=1", "root=1"]);
  });

  it("hides a TLS connection's certificate properties from proxy_on_new_connection: Envoy calls it before the handshake", async () => {
    // Found by running real Envoy 1.36.2 / 1.40.0 (envoy-configs/README.md "Found by running real Envoy").
    expect(await read("connection.uri_san_peer_certificate", { tcp: true })).toEqual([
      "connection=1", "data=0", "len=32", "spiffe://cluster.local/ns/a/sa/b", "root=1"]);
    expect(await read("connection.mtls", { tcp: true })).toEqual(["connection=0", "len=1", "bool=0", "data=0", "len=1", "bool=1", "root=1"]);
    // Addresses are known when the connection is accepted.
    expect(await read("source.address", { tcp: true })).toEqual(["connection=0", "len=13", "10.0.0.1:4567", "data=0", "len=13", "10.0.0.1:4567", "root=1"]);
  });

  it("returns an empty SNI as Ok with size 0, and NotFound for absent TLS attributes", async () => {
    expect(await read("connection.requested_server_name")).toEqual(["stream=0", "len=0", "", "root=1"]);
    expect(await read("connection.subject_peer_certificate")).toEqual(["stream=1", "root=1"]);
  });

  it("derives request.* from the request headers", async () => {
    expect(await read("request.path")).toEqual(["stream=0", "len=8", "/a/b?x=1", "root=1"]);
    expect(await read("request.url_path")).toEqual(["stream=0", "len=4", "/a/b", "root=1"]);
    expect(await read("request.host")).toEqual(["stream=0", "len=6", "svc.ns", "root=1"]);
    expect(await read("request.method")).toEqual(["stream=0", "len=4", "POST", "root=1"]);
    expect(await read("request.useragent")).toEqual(["stream=0", "len=4", "curl", "root=1"]);
    expect(await read("request.id")).toEqual(["stream=0", "len=3", "rid", "root=1"]);
    expect(await read("request.headers.multi")).toEqual(["stream=0", "len=3", "1,2", "root=1"]);
    expect(await read("request.protocol", { props: { "request.protocol": "HTTP/2" } })).toEqual(["stream=0", "len=6", "HTTP/2", "root=1"]);
  });

  it("makes request headers unavailable once their callback has continued", async () => {
    expect(await read("request.path", { response: true })).toEqual(["stream=0", "len=8", "/a/b?x=1", "response=1", "root=1"]);
    expect(await read("response.code", { response: true })).toEqual(["stream=1", "response=0", "len=8", "i64=201", "root=1"]);
  });

  it("serves xds.* and plugin_* also in the root context", async () => {
    expect(await read("xds.node.id")).toEqual(["stream=0", "len=6", "node-1", "root=0", "len=6", "node-1"]);
    expect(await read("xds.node.metadata.NAME")).toEqual(["stream=0", "len=5", "pod-a", "root=0", "len=5", "pod-a"]);
    expect(await read("xds.node.metadata.LABELS.app")).toEqual(["stream=0", "len=1", "x", "root=0", "len=1", "x"]);
    expect(await read("xds.listener_direction")).toEqual(["stream=0", "len=8", "i64=1", "root=0", "len=8", "i64=1"]);
    expect(await read("plugin_name")).toEqual(["stream=0", "len=4", "plug", "root=0", "len=4", "plug"]);
    expect(await read("plugin_root_id")).toEqual(["stream=0", "len=6", "root-a", "root=0", "len=6", "root-a"]);
    expect(await read("plugin_vm_id")).toEqual(["stream=0", "len=4", "vm-a", "root=0", "len=4", "vm-a"]);
  });

  it("serialises a Struct map value with the pairs encoding", async () => {
    const out = await read("xds.node.metadata.LABELS");
    const expected = encodePairs([["app", "x"]]);
    expect(out[1]).toBe(`len=${expected.length}`);
    expect(out[2]).toBe(Buffer.from(expected).toString("latin1"));
  });

  it("answers NotFound for unknown paths and the removed top-level xDS attributes", async () => {
    expect(await read("request.nope")).toEqual(["stream=1", "root=1"]);
    expect(await read("node")).toEqual(["stream=1", "root=1"]);
    expect(await read("cluster_name")).toEqual(["stream=1", "root=1"]);
    expect(await read("nothing.at.all")).toEqual(["stream=1", "root=1"]);
  });

  it("reads filter state objects and AddressObject fields", async () => {
    const host = new Host();
    const fs = host.tcpConnection({ filters: [] }).filterState;
    fs.setEnvoy("envoy.network.transport_socket.original_dst_address", "10.1.2.3:9000", 2);
    const p = await host.loadPlugin({ module: await wat("getprop"), configuration: "ifilter_state\u0000envoy.network.transport_socket.original_dst_address\u0000port" });
    const s = host.httpStream({ filters: [p], connectionFilterState: fs });
    s.sendRequestHeaders(REQ, true);
    expect(messages(host.logs)).toEqual(["stream=0", "len=8", "i64=9000"]);
  });
});

describe("proxy_set_property (§5, §10.10)", () => {
  it("stores wasm.<key> as a CelState readable back and printable as %FILTER_STATE(key:PLAIN)%", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("props") });
    expect(messages(host.logs)).toEqual(["root_set=1"]); // NotFound in a root context
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders(REQ, true);
    expect(messages(host.logs).slice(1)).toEqual([
      "set=0", "get_fallback=0", "10.0.0.1:80", "get_filter_state=0", "10.0.0.1:80", "ro1=0", "ro2=0", "conn_value=1",
    ]);
    expect(s.filterState.plain("wasm.target")).toBe("10.0.0.1:80");
    expect(s.filterState.get("wasm.target")).toMatchObject({ kind: "cel", lifeSpan: 0, readonly: false });
    expect(s.filterState.plain("wasm.absent")).toBeNull();
  });

  it("honours a readonly prototype declared with declare_property (second write → BadArgument)", async () => {
    // DeclarePropertyArguments { name: "ro", readonly: true }
    const proto = new Uint8Array([0x0a, 0x02, 0x72, 0x6f, 0x10, 0x01]);
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("props"), configuration: proto });
    expect(messages(host.logs)).toEqual(["root_set=1", "declare=0", "declare_again=2"]);
    host.httpStream({ filters: [p] }).sendRequestHeaders(REQ, true);
    expect(messages(host.logs).filter((m) => /^ro[12]=/.test(m))).toEqual(["ro1=0", "ro2=2"]);
  });

  it("lets an HTTP stream see wasm.* values a network filter set on its connection", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("props") });
    const c = host.tcpConnection({ filters: [p] });
    c.open();
    expect(c.filterState.plain("wasm.conn")).toBe("c1");
    const s = host.httpStream({ filters: [p], connectionFilterState: c.filterState });
    s.sendRequestHeaders(REQ, true);
    expect(messages(host.logs, "conn_value")).toEqual(["conn_value=0"]);
    expect(messages(host.logs)).toContain("c1");
  });

  it("parents the stream's filter state to the connection's: Connection-span values outlive the stream", async () => {
    // HCM ActiveStream builds its FilterManager with the connection's filter state as ancestor
    // (envoy source/common/http/conn_manager_impl.cc; source/common/stream_info/filter_state_impl.cc
    // maybeCreateParent): lookups walk up, longer life spans are stored up the chain.
    // DeclarePropertyArguments { name: "ro", span: DownstreamConnection (2) }
    const proto = new Uint8Array([0x0a, 0x02, 0x72, 0x6f, 0x28, 0x02]);
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("props"), configuration: proto });
    const conn = host.tcpConnection({ filters: [] }).filterState;
    const s1 = host.httpStream({ filters: [p], connectionFilterState: conn });
    s1.sendRequestHeaders(REQ, true).complete();
    expect(conn.get("wasm.ro")).toMatchObject({ kind: "cel", lifeSpan: 2, text: "b" });
    expect(conn.plain("wasm.target")).toBeNull(); // FilterChain span: kept by the stream
    expect(s1.filterState.plain("wasm.target")).toBe("10.0.0.1:80");
    const s2 = host.httpStream({ filters: [p], connectionFilterState: conn });
    expect(s2.filterState.plain("wasm.ro")).toBe("b");
    expect(s2.filterState.plain("wasm.target")).toBeNull();
  });
});

describe("response.code from a hostile :status", () => {
  it("parses like absl::SimpleAtoi into uint64 and keeps a uint32, absent when unparsable", async () => {
    const { statusCode } = await import("../../emulator/http-stream.ts");
    expect(statusCode("200")).toBe(200);
    expect(statusCode(" 404 ")).toBe(404);
    expect(statusCode("+503")).toBe(503);
    expect(statusCode("4294967297")).toBe(1);
    expect(statusCode("99999999999999999999999")).toBe(0);
    expect(statusCode("1e400")).toBe(0);
    expect(statusCode("abc")).toBe(0);
    expect(statusCode("")).toBe(0);
  });
});

describe("response.grpc_status from a hostile grpc-status", () => {
  it("is InvalidCode (-1) when it does not parse or is above 16, as Grpc::Common::getGrpcStatus", async () => {
    const { grpcStatusCode } = await import("../../emulator/properties.ts");
    expect(grpcStatusCode("0")).toBe(0);
    expect(grpcStatusCode("14")).toBe(14);
    expect(grpcStatusCode("16")).toBe(16);
    expect(grpcStatusCode("17")).toBe(-1);
    expect(grpcStatusCode("9".repeat(400))).toBe(-1);
    expect(grpcStatusCode("abc")).toBe(-1);
  });
});
