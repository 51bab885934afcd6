// A single real Envoy on 127.0.0.1 with real upstreams and clients, for scenarios that need no namespaces:
// free high ports, an HTTP upstream that records what it received, a TCP echo upstream, and clients that report
// what came back (status and body, or echoed bytes and how the connection ended).
import { createServer as createHttpServer, request } from "node:http";
import { createServer as createTcpServer, connect, type AddressInfo, type Server } from "node:net";

/** A port the kernel just handed out on 127.0.0.1 (ephemeral range, so high), released for Envoy to bind. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createTcpServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolvePort(port));
    });
  });
}

export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

export interface HttpUpstream {
  port: number;
  /** "<method> <path>" of every request received, in order. */
  received: string[];
  close(): Promise<void>;
}

/** Answers every request 200 "upstream ok". */
export function httpUpstream(): Promise<HttpUpstream> {
  const received: string[] = [];
  const server = createHttpServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "text/plain" }).end("upstream ok"));
  });
  return listening(server, (port) => ({ port, received, close: () => closeServer(server) }));
}

export interface EchoUpstream {
  port: number;
  connections: number;
  close(): Promise<void>;
}

/** Echoes every byte back on the same connection. */
export function echoUpstream(): Promise<EchoUpstream> {
  const sockets = new Set<import("node:net").Socket>();
  const state = { connections: 0 };
  const server = createTcpServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.pipe(socket);
  });
  return listening(server, (port) => ({
    port,
    get connections() { return state.connections; },
    close: () => {
      for (const s of sockets) s.destroy();
      return closeServer(server);
    },
  }));
}

function listening<T>(server: Server | import("node:http").Server, make: (port: number) => T): Promise<T> {
  return new Promise((resolveServer, reject) => {
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => resolveServer(make((server.address() as AddressInfo).port)));
  });
}

function closeServer(server: Server | import("node:http").Server): Promise<void> {
  return new Promise((resolveClose) => server.close(() => resolveClose()));
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One HTTP/1.1 GET on a fresh connection. */
export function httpGet(port: number, path = "/", headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolveAnswer, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers, agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolveAnswer({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET 127.0.0.1:${port}${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

export interface TcpAnswer {
  /** Everything the server side sent back before the connection ended. */
  received: string;
  /** "closed": the far side ended the connection; "open": still open after the wait, closed by us. */
  ended: "closed" | "open";
}

/**
 * Opens a connection, writes `data`, and waits until the peer closes or `settleMs` passes after the last byte
 * (an echo answers at once), then closes.
 */
export function tcpExchange(port: number, data: string, settleMs = 500): Promise<TcpAnswer> {
  return new Promise((resolveAnswer) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = "";
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (ended: TcpAnswer["ended"]) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolveAnswer({ received, ended });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish("open"), settleMs);
    };
    socket.setEncoding("utf8");
    socket.on("connect", () => {
      socket.write(data);
      arm();
    });
    socket.on("data", (d) => {
      received += d;
      arm();
    });
    socket.on("end", () => finish("closed"));
    socket.on("close", () => finish("closed"));
    // A reset is the far side ending the connection too.
    socket.on("error", () => finish("closed"));
  });
}
