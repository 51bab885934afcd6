// The applications behind the meshes: an HTTP/1.1 server, an HTTP/2 (h2c) server, a gRPC server and a raw TCP echo,
// in one process (`node --import tsx envoy/mesh/app-server.ts '<json spec>'`, started by apps.ts inside a network
// namespace). Each writes one JSON line per request or connection to stdout — what the far side received: the
// peer address, the request line and headers, the bytes — and HTTP and gRPC answer with the same record, so a
// client sees it too. "listening" lines tell the parent the ports are open.
import * as grpc from "@grpc/grpc-js";
import { createServer as createHttp1Server, type IncomingMessage } from "node:http";
import { readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createHttp2Server, type Http2ServerRequest } from "node:http2";
import { createServer as createTcpServer } from "node:net";

export interface AppSpec {
  /** Name the apps answer with ("httpbin"). */
  name: string;
  host?: string;
  http1?: number;
  http2?: number;
  grpc?: number;
  echo?: number;
  /** HTTPS (HTTP/1.1 over TLS) with this certificate. */
  https?: { port: number; cert: string; key: string };
}

export interface Received {
  app: string;
  kind: "http1" | "http2" | "grpc" | "echo" | "https";
  /** Peer address as the server saw it, "ip:port". */
  peer: string;
  /** Local address the connection arrived on, "ip:port". */
  local: string;
  method?: string;
  path?: string;
  headers?: Record<string, string | string[]>;
  /** echo: the bytes received (utf8), written when the connection ends. */
  data?: string;
}

export const GRPC_METHOD = "/ambientwasm.e2e.Echo/Say";

function emit(record: Received | { listening: string; port: number }): void {
  process.stdout.write(JSON.stringify(record) + "\n");
}

function hostPort(ip: string | undefined, port: number | undefined): string {
  const a = (ip ?? "").replace(/^::ffff:/, "");
  return a.includes(":") ? `[${a}]:${port}` : `${a}:${port}`;
}

function record(spec: AppSpec, kind: "http1" | "http2" | "https", req: IncomingMessage | Http2ServerRequest): Received {
  const s = req.socket;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v as string | string[];
  return {
    app: spec.name, kind,
    peer: hostPort(s.remoteAddress, s.remotePort), local: hostPort(s.localAddress, s.localPort),
    method: req.method, path: req.url, headers,
  };
}

/**
 * The HTTP servers' one answer: record the request, read it whole, then 200 with `hello from <name>` and what was
 * received (with a content-length on HTTP/1.1, as HTTP/2 frames the body itself).
 */
function answerHello(spec: AppSpec, kind: "http1" | "https" | "http2", contentLength: boolean) {
  return (req: IncomingMessage | Http2ServerRequest, res: { writeHead(status: number, headers: Record<string, string | number>): unknown; end(body: string): unknown }) => {
    const r = record(spec, kind, req);
    emit(r);
    req.resume();
    req.on("end", () => {
      const body = JSON.stringify({ hello: `hello from ${spec.name}`, received: r }) + "\n";
      res.writeHead(200, contentLength ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : { "content-type": "application/json" });
      res.end(body);
    });
  };
}

function start(spec: AppSpec): void {
  const host = spec.host ?? "0.0.0.0";
  if (spec.http1 !== undefined) {
    const port = spec.http1;
    createHttp1Server(answerHello(spec, "http1", true)).listen(port, host, () => emit({ listening: "http1", port }));
  }
  if (spec.https !== undefined) {
    const { port, cert, key } = spec.https;
    createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, answerHello(spec, "https", true)).listen(port, host, () => emit({ listening: "https", port }));
  }
  if (spec.http2 !== undefined) {
    const port = spec.http2;
    createHttp2Server(answerHello(spec, "http2", false)).listen(port, host, () => emit({ listening: "http2", port }));
  }
  if (spec.grpc !== undefined) {
    const port = spec.grpc;
    const server = new grpc.Server();
    const identity = (b: Buffer) => b;
    server.addService(
      {
        Say: {
          path: GRPC_METHOD, requestStream: false, responseStream: false,
          requestSerialize: identity, requestDeserialize: identity,
          responseSerialize: identity, responseDeserialize: identity,
        },
      },
      {
        Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          const headers: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(call.metadata.getMap())) headers[k] = String(v);
          const r: Received = { app: spec.name, kind: "grpc", peer: call.getPeer(), local: `${host}:${port}`, method: "POST", path: GRPC_METHOD, headers, data: call.request.toString("utf8") };
          emit(r);
          callback(null, Buffer.from(JSON.stringify({ hello: `hello from ${spec.name}`, received: r })));
        },
      },
    );
    server.bindAsync(host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
      if (err) throw err;
      emit({ listening: "grpc", port });
    });
  }
  if (spec.echo !== undefined) {
    const port = spec.echo;
    createTcpServer((socket) => {
      const chunks: Buffer[] = [];
      const peer = hostPort(socket.remoteAddress, socket.remotePort);
      const local = hostPort(socket.localAddress, socket.localPort);
      socket.on("data", (d) => {
        chunks.push(d);
        socket.write(d);
      });
      socket.on("end", () => socket.end());
      socket.on("error", () => {});
      socket.on("close", () => emit({ app: spec.name, kind: "echo", peer, local, data: Buffer.concat(chunks).toString("utf8") }));
    }).listen(port, host, () => emit({ listening: "echo", port }));
  }
}

const arg = process.argv[2];
if (arg) start(JSON.parse(arg) as AppSpec);
