// ztunnel.yaml deployed dual-stack (deployConfig dualStack: every mesh address gets an IPv6 twin, listeners on `::`)
// on the two-node mesh with ip6tables capture: IPv6 tunnels, denials and passthrough, with IPv4 still working.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curl, nodeClient } from "../../envoy/mesh/apps.ts";
import { startZtunnelMesh, ZTUNNEL_MESH as M, type ZtunnelMesh } from "../../envoy/mesh/ztunnel.ts";
import { realEnvoys, sampleValue } from "./support.ts";
import { tcpLabels } from "./labels.ts";

const V6 = M.v6;
const bracket = (ip: string) => `[${ip}]`;

describe.each(realEnvoys())("ztunnel.yaml dual-stack over IPv6, real Envoy $version", ({ envoy, missing }) => {
  let mesh: ZtunnelMesh;
  beforeAll(async () => {
    if (envoy) mesh = await startZtunnelMesh({ envoy, ipv6: true });
  });
  afterAll(async () => {
    await mesh?.stop();
  });
  const run = it.skipIf(missing !== undefined);

  run("client/sleep → the IPv6 VIP: tunnelled to the pod's IPv6 address with a bracketed CONNECT; IPv4 still tunnels", async () => {
    const r = await curl(mesh.nodeA, ["-g", `http://${bracket(V6[M.httpbinVip])}:${M.servicePort}/v6`]);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).received).toMatchObject({ local: `${bracket(V6[M.httpbinPod])}:80`, path: "/v6" });
    const connect = await mesh.ztunnelB.waitForLog("ztunnel_hbone", (l) => l.forwarded?.startsWith(`for="${bracket(V6[M.sleep])}:${r.localPort}"`) ?? false);
    expect(connect).toMatchObject({
      authority: `${bracket(V6[M.httpbinPod])}:80`,
      forwarded: `for="${bracket(V6[M.sleep])}:${r.localPort}";host=httpbin.server.svc.cluster.local`,
      x_envoy_original_dst_host: `${bracket(V6[M.httpbinPod])}:80`,
      peer: M.identities.sleep, response_code: 200, upstream_host: `${bracket(V6[M.httpbinPod])}:80`,
      downstream: expect.stringMatching(/^\[fd00:77::10\]:\d+$/),
    });
    const v4 = await nodeClient(mesh.nodeA, { kind: "tcp", host: M.httpbinPod, port: M.ports.echo, data: "IPv4 too" });
    expect(v4).toMatchObject({ ok: true, received: "IPv4 too" });
    const lines = await mesh.ztunnelB.prometheus();
    expect(sampleValue(lines, "istio_tcp_connections_opened_total", tcpLabels("destination", "sleep", "-", "mutual_tls"))).toBe(2);
  });

  run("other/intruder over IPv6 is answered 401; a destination outside the mesh gets IPv6 passthrough", async () => {
    const denied = await nodeClient(mesh.nodeA, { kind: "tcp", host: V6[M.httpbinPod], port: M.ports.echo, localAddress: V6[M.intruder], data: "no" });
    expect(denied).toMatchObject({ ok: false, received: "" });
    const log = await mesh.ztunnelB.waitForLog("ztunnel_hbone", (l) => l.peer === M.identities.intruder);
    expect(log).toMatchObject({ authority: `${bracket(V6[M.httpbinPod])}:${M.ports.echo}`, response_code: 401 });
    expect(mesh.server.received().some((x) => x.data === "no")).toBe(false);

    const out = await nodeClient(mesh.nodeA, { kind: "tcp", host: V6[M.ext], port: M.ports.echo, data: "IPv6 out" });
    expect(out).toMatchObject({ ok: true, received: "IPv6 out" });
    const got = await mesh.outside.waitFor((x) => x.data === "IPv6 out");
    expect(got.peer).toMatch(/^\[fd00:77::10\]:\d+$/);
    const a = await mesh.ztunnelA.waitForLog("ztunnel_outbound", (l) => l.route === "passthrough");
    expect(a).toMatchObject({ cluster: "PassthroughCluster", upstream_host: `${bracket(V6[M.ext])}:${M.ports.echo}` });
  });
});
