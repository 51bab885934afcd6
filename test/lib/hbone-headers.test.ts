import { beforeAll, describe, expect, it } from "vitest";
import { type AsModule, loadAsModule } from "./harness.ts";

let m: AsModule;
beforeAll(async () => {
  m = await loadAsModule("hbone-headers");
});

describe("lib/hbone-headers (the `headers` block of hbone-outbound and connect-headers)", () => {
  it("keeps each filter's defaults for an absent block or absent members", () => {
    expect(m.str("read", "{}", 1)).toBe("11011");
    expect(m.str("read", "{}", 0)).toBe("11010");
    expect(m.str("read", '{"headers":{}}', 0)).toBe("11010");
    expect(m.str("read", '{"headers":null}', 1)).toBe("11011");
  });

  it("reads every member", () => {
    const all = '{"headers":{"baggage":false,"forwarded":false,"xForwardedFor":true,"traceparent":false,"originalDstHost":true}}';
    expect(m.str("read", all, 0)).toBe("00101");
    expect(m.str("read", '{"headers":{"originalDstHost":false}}', 1)).toBe("11010");
  });

  it("names the JSON path of a wrong type or an unknown member", () => {
    expect(m.str("read", '{"headers":{"baggage":"yes"}}', 1)).toMatch(/^!\$\.headers\.baggage: expected boolean/);
    expect(m.str("read", '{"headers":{"xff":true}}', 1)).toMatch(/^!\$\.headers\.xff: unknown field/);
    expect(m.str("read", '{"headers":[]}', 1)).toMatch(/^!\$\.headers: /);
  });

  const SLEEP = JSON.stringify({ name: "sleep", namespace: "default", kind: "deployment", addresses: ["10.0.0.10"],
    identity: "spiffe://cluster.local/ns/default/sa/sleep", version: "v1" });
  const SLEEP_BAGGAGE = "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=v1";

  it("computes the values of the headers turned on, as ztunnel writes them", () => {
    expect(m.str("values", "{}", SLEEP, "10.0.0.10:40000", "httpbin.default.svc.cluster.local", "10.0.1.20:80"))
      .toBe(`${SLEEP_BAGGAGE}|for="10.0.0.10:40000";host=httpbin.default.svc.cluster.local||55|10.0.1.20:80`);
    expect(m.str("values", '{"headers":{"xForwardedFor":true}}', SLEEP, "[fd00::10]:5555", "", "[fd00:1::20]:8080"))
      .toBe(`${SLEEP_BAGGAGE}|for="[fd00::10]:5555"|fd00::10|55|[fd00:1::20]:8080`);
  });

  it("leaves out what it cannot or must not send", () => {
    // source not in the table: no baggage; client address unknown: no forwarded/x-forwarded-for
    expect(m.str("values", '{"headers":{"xForwardedFor":true}}', "", "", "svc", "10.0.1.20:80")).toBe("|||55|10.0.1.20:80");
    const off = '{"headers":{"baggage":false,"forwarded":false,"traceparent":false,"originalDstHost":false}}';
    expect(m.str("values", off, SLEEP, "10.0.0.10:40000", "svc", "10.0.1.20:80")).toBe("|||0|");
    // no original destination to name (connect-headers with a DNS target)
    expect(m.str("values", "{}", "", "", "", "").endsWith("|55|")).toBe(true);
  });
});
