// The Node clients of the meshes, run inside a node's network namespace by apps.ts:
//   node --import tsx envoy/mesh/app-client.ts '<json request>'
// prints one JSON line with what happened (ClientResult). Kinds:
//   tcp      — connect (optionally from a source address), send `data`, half-close, collect what comes back
//   grpc     — one unary call of GRPC_METHOD over h2c, with metadata
//   connect  — an HTTP/2 CONNECT over mTLS straight to an HBONE port with a chosen certificate and headers, as a
//              workload that skips its own ztunnel would send it; then `data` through the tunnel
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { connect as http2Connect } from "node:http2";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { GRPC_METHOD } from "./app-server.ts";

export type ClientRequest =
  | {
      kind: "tcp"; host: string; port: number; localAddress?: string; data: string; timeoutMs?: number;
      /** Speak TLS with this client certificate (the mesh's SPIFFE certificates; the server's name is not checked). */
      tls?: { cert: string; key: string; ca: string };
    }
  | { kind: "grpc"; target: string; metadata?: Record<string, string>; message: string; timeoutMs?: number }
  | {
      kind: "connect"; host: string; port: number; localAddress?: string; authority: string;
      headers?: Record<string, string>; cert: string; key: string; ca: string; servername?: string;
      data: string; timeoutMs?: number;
    };

export interface ClientResult {
  ok: boolean;
  /** tcp/connect: bytes received back (utf8); grpc: the response message. */
  received?: string;
  /** connect: the :status the HBONE server answered. */
  status?: number;
  /** grpc: the status code. */
  grpcCode?: number;
  error?: string;
  /** tcp: the connection was closed (or reset) before anything came back. */
  closedEarly?: boolean;
}

function done(r: ClientResult): void {
  process.stdout.write(JSON.stringify(r) + "\n");
  process.exit(0);
}

function tcp(req: Extract<ClientRequest, { kind: "tcp" }>): void {
  const socket = req.tls
    ? tlsConnect({
        socket: netConnect({ host: req.host, port: req.port, localAddress: req.localAddress }),
        cert: readFileSync(req.tls.cert), key: readFileSync(req.tls.key), ca: readFileSync(req.tls.ca),
        checkServerIdentity: () => undefined,
      })
    : netConnect({ host: req.host, port: req.port, localAddress: req.localAddress });
  const chunks: Buffer[] = [];
  const timer = setTimeout(() => done({ ok: false, error: "timeout", received: Buffer.concat(chunks).toString() }), req.timeoutMs ?? 5000);
  socket.on(req.tls ? "secureConnect" : "connect", () => socket.end(req.data));
  socket.on("data", (d) => chunks.push(d));
  socket.on("error", (e) => {
    clearTimeout(timer);
    done({ ok: false, error: (e as NodeJS.ErrnoException).code ?? e.message, received: Buffer.concat(chunks).toString(), closedEarly: chunks.length === 0 });
  });
  socket.on("close", () => {
    clearTimeout(timer);
    const received = Buffer.concat(chunks).toString();
    done({ ok: received.length > 0, received, closedEarly: chunks.length === 0 });
  });
}

function grpcCall(req: Extract<ClientRequest, { kind: "grpc" }>): void {
  const client = new grpc.Client(req.target, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(req.metadata ?? {})) metadata.set(k, v);
  const identity = (b: Buffer) => b;
  client.makeUnaryRequest(
    GRPC_METHOD, identity, identity, Buffer.from(req.message), metadata,
    { deadline: Date.now() + (req.timeoutMs ?? 5000) },
    (err, value) => {
      if (err) done({ ok: false, grpcCode: err.code, error: err.details });
      else done({ ok: true, grpcCode: 0, received: value!.toString("utf8") });
    },
  );
}

function connectTunnel(req: Extract<ClientRequest, { kind: "connect" }>): void {
  const session = http2Connect(`https://${req.host}:${req.port}`, {
    cert: readFileSync(req.cert), key: readFileSync(req.key), ca: readFileSync(req.ca),
    localAddress: req.localAddress, servername: req.servername,
    // The mesh certificates carry only a SPIFFE URI SAN; the tests check who answered through Envoy's logs.
    checkServerIdentity: () => undefined,
    minVersion: "TLSv1.3", ALPNProtocols: ["h2"],
  } as Parameters<typeof http2Connect>[1]);
  const timer = setTimeout(() => done({ ok: false, error: "timeout" }), req.timeoutMs ?? 5000);
  session.on("error", (e) => (clearTimeout(timer), done({ ok: false, error: e.message })));
  const stream = session.request({ ":method": "CONNECT", ":authority": req.authority, ...(req.headers ?? {}) });
  let status = 0;
  const chunks: Buffer[] = [];
  stream.on("response", (h) => {
    status = Number(h[":status"]);
    if (status === 200) stream.end(req.data);
  });
  stream.on("data", (d) => chunks.push(d));
  const finish = () => {
    clearTimeout(timer);
    session.close();
    done({ ok: status === 200, status, received: Buffer.concat(chunks).toString() });
  };
  stream.on("end", finish);
  stream.on("close", finish);
  stream.on("error", (e) => (clearTimeout(timer), done({ ok: false, status, error: e.message })));
}

const arg = process.argv[2];
if (arg) {
  const req = JSON.parse(arg) as ClientRequest;
  if (req.kind === "tcp") tcp(req);
  else if (req.kind === "grpc") grpcCall(req);
  else connectTunnel(req);
}
