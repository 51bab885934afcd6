// `npm start` in real Envoy: the demo's connections on two namespace nodes end as the emulator demo predicts, and
// what it prints comes from real access logs and the real /stats/prometheus.
import { describe, expect, it } from "vitest";
import { runDemo } from "../../cli/demo.ts";
import { renderRealText, runRealDemo } from "../../cli/demo/real-envoy.ts";
import { realEnvoys } from "./support.ts";

describe.each(realEnvoys())("the real-Envoy demo, Envoy $version", ({ envoy, missing }) => {
  it.skipIf(missing !== undefined)("ends every connection as the emulator demo predicts, with the CONNECT node b received", async () => {
    const [real, emulated] = await Promise.all([runRealDemo(envoy!), runDemo()]);
    expect(real.envoy.version).toBe(envoy!.version);
    expect(real.connections.map((c) => c.outcome)).toEqual(emulated.connections.map((c) => c.outcome));
    const [first] = real.connections;
    const predicted = emulated.connections[0].connect!;
    expect(first.nodeB).toMatchObject({ authority: predicted.authority, peer: "spiffe://cluster.local/ns/client/sa/sleep", response_code: 200 });
    for (const [name, value] of predicted.headers) {
      if (name === "baggage") expect(first.nodeB![name]).toBe(value);
      else expect(first.nodeB![name]).toEqual(expect.any(String));
    }
    expect(first.received).toMatchObject({ method: "GET", path: "/demo", local: "10.77.0.20:80" });
    const nodeB = real.prometheus.find((p) => p.node === "node-b")!.lines;
    expect(nodeB).toContain("identity_rbac_connect_allowed{} 2");
    expect(nodeB).toContain("identity_rbac_connect_denied{} 2");
    const text = renderRealText(real);
    expect(text).toContain(`REAL ENVOY: Envoy ${envoy!.version}`);
    expect(text).toContain("node-b answered 401 (rbac_access_denied_matched_policy[none])");
  });
});
