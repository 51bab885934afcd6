// Issue 14's findings that depend on Envoy's own behaviour, shown in real Envoy with the shipped configs (finding 6,
// the egress forward proxy, is in egress.test.ts): the source a 15008 terminate judges is the TCP peer, never a
// forged x-forwarded-for (2); the waypoint takes only the CONNECT targets it serves (4); a CONNECT to one of the
// node's own listeners is refused instead of looping (5).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeClient } from "../../envoy/mesh/apps.ts";
import { AMBIENT_L7 as M, startAmbientL7Mesh, type AmbientL7Mesh } from "../../envoy/mesh/waypoint.ts";
import { certFile } from "../../envoy/mesh/ztunnel.ts";
import { realEnvoys } from "./support.ts";

const asSleep = { cert: certFile("client-sleep", "cert"), key: certFile("client-sleep", "key"), ca: certFile("root", "cert") };

describe.each(realEnvoys())("issue 14 in real Envoy $version", ({ envoy, missing }) => {
  let mesh: AmbientL7Mesh;
  beforeAll(async () => {
    if (envoy) mesh = await startAmbientL7Mesh({ envoy });
  });
  afterAll(async () => {
    await mesh?.stop();
  });
  const run = it.skipIf(missing !== undefined);

  run("finding 2: a CONNECT claiming another source in x-forwarded-for is judged and logged from its TCP peer", async () => {
    const r = await nodeClient(mesh.ext, {
      kind: "connect", host: M.nodeB, port: 15008, authority: `${M.httpbinPod}:${M.ports.echo}`,
      headers: { "x-forwarded-for": M.sleep },
      ...asSleep, data: "xff forged",
    });
    expect(r).toMatchObject({ status: 200, received: "xff forged" });
    // %DOWNSTREAM_REMOTE_ADDRESS% is what source.address (ipBlocks, peer labels) reads: the TCP peer, not the header.
    const connect = await mesh.ztunnelB.waitForLog("ztunnel_hbone", (c) => c.authority === `${M.httpbinPod}:${M.ports.echo}` && Number(c.response_code) === 200);
    expect(String(connect.downstream)).toMatch(new RegExp(`^${M.ext.replace(/\./g, "\\.")}:\\d+$`));
    expect(String(connect.downstream).startsWith(`${M.sleep}:`)).toBe(false);
  });

  run("finding 5: a CONNECT to one of node b's own listeners is refused (503), never dialled", async () => {
    for (const port of [8000, 15000, 15001, 15006, 15008, 15020]) {
      const r = await nodeClient(mesh.ext, {
        kind: "connect", host: M.nodeB, port: 15008, authority: `${M.httpbinPod}:${port}`, ...asSleep, data: `loop ${port}`,
      });
      expect(r.status, `port ${port}`).toBe(503);
      const log = await mesh.ztunnelB.waitForLog("ztunnel_hbone", (c) => c.authority === `${M.httpbinPod}:${port}`);
      expect(log.response_code_details, `port ${port}`).toBe("hbone_self_call_port");
      expect(log.upstream_host, `port ${port}`).toBeNull();
    }
  });

  run("finding 4: the waypoint answers 404 to a CONNECT target it does not serve, and serves its own", async () => {
    for (const authority of [`${M.l7Vip}:9999`, `10.96.0.20:8000`, `[::ffff:${M.l7Vip}]:8000`]) {
      const r = await nodeClient(mesh.ext, { kind: "connect", host: M.waypoint, port: 15008, authority, ...asSleep, data: "GET / HTTP/1.1\r\n\r\n" });
      expect(r.status, authority).toBe(404);
    }
    const served = await nodeClient(mesh.ext, {
      kind: "connect", host: M.waypoint, port: 15008, authority: `${M.l7Vip}:${M.l7Ports.http}`, ...asSleep,
      data: "GET /get HTTP/1.1\r\nhost: httpbin-l7\r\nconnection: close\r\n\r\n",
    });
    // The served target gets its tunnel (the L7 requests inside it are ambient-l7.test.ts's subject).
    expect(served.status).toBe(200);
  });
});
