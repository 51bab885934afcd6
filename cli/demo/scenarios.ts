// The sample traffic of the demo: the mesh of envoy-configs/ztunnel.yaml (node-a hosts client/sleep and
// other/intruder, node-b hosts server/httpbin behind the service VIP 10.96.0.20:8000).

/** The address node-a's HBONE connections leave from (its own address in docker-compose.yaml). */
export const NODE_A_ADDRESS = "10.77.0.10";

export const HTTP_REQUEST = "GET /headers HTTP/1.1\r\nhost: httpbin.server.svc.cluster.local:8000\r\n\r\n";
export const HTTP_RESPONSE = "HTTP/1.1 200 OK\r\ncontent-length: 26\r\n\r\nhello from server/httpbin\n";

/** An app connection captured by node-a's ztunnel (outbound listener). */
export interface CapturedConnection {
  kind: "captured";
  title: string;
  /** ip:port of the app socket. */
  source: string;
  /** ip:port the app dialled. */
  destination: string;
}

/**
 * A workload that skips its ztunnel and speaks HBONE to node-b itself, with its own certificate and whatever
 * headers it likes (here: baggage claiming to be client/sleep).
 */
export interface DirectConnect {
  kind: "direct";
  title: string;
  source: string;
  /** The SPIFFE id of the client certificate it presents. */
  peer: string;
  /** ip:port it connects to (node-b's HBONE port). */
  destination: string;
  authority: string;
  headers: Array<[string, string]>;
}

export type DemoConnection = CapturedConnection | DirectConnect;

export const DEMO_CONNECTIONS: DemoConnection[] = [
  { kind: "captured", title: "client/sleep calls the httpbin service", source: "10.77.1.10:40001", destination: "10.96.0.20:8000" },
  { kind: "captured", title: "other/intruder calls the httpbin service", source: "10.77.2.10:40002", destination: "10.96.0.20:8000" },
  { kind: "captured", title: "client/sleep calls the httpbin pod directly", source: "10.77.1.10:40003", destination: "10.77.0.20:80" },
  { kind: "captured", title: "client/sleep calls a port the service does not expose", source: "10.77.1.10:40004", destination: "10.96.0.20:9090" },
  { kind: "captured", title: "an unknown source calls the httpbin service", source: "10.77.9.9:40005", destination: "10.96.0.20:8000" },
  { kind: "captured", title: "client/sleep calls an address outside the mesh", source: "10.77.1.10:40006", destination: "198.51.100.7:443" },
  {
    kind: "direct",
    title: "other/intruder sends its own CONNECT with baggage claiming to be client/sleep",
    source: "10.77.2.10:40007",
    peer: "spiffe://cluster.local/ns/other/sa/intruder",
    destination: "10.77.0.20:15008",
    authority: "10.77.0.20:80",
    headers: [["baggage", "k8s.cluster.name=Kubernetes,k8s.namespace.name=client,k8s.deployment.name=sleep,service.name=sleep,service.version=v1"]],
  },
];
