import { beforeAll, describe, expect, it } from "vitest";
import { loadAsModule, type AsModule } from "./harness.ts";

let m: AsModule;
beforeAll(async () => {
  m = await loadAsModule("workloads");
});

const ID = (sa: string, ns = "default") => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;

const mesh = {
  workloads: [
    {
      name: "reviews-v1", namespace: "default", kind: "deployment", addresses: ["10.0.1.5", "fd00::5"],
      identity: ID("reviews"), canonicalService: "reviews", version: "v1", cluster: "east",
      services: [
        { hostname: "reviews.default.svc.cluster.local", vips: ["10.96.0.7"], ports: [{ port: 9080, targetPort: 8080 }] },
        { hostname: "reviews-admin.default.svc.cluster.local", vips: ["10.96.0.8", "fd00:96::8"], ports: [{ port: 15000 }, { port: 80, targetPort: 9090 }] },
      ],
    },
    {
      name: "reviews-v2", namespace: "default", kind: "deployment", addresses: ["10.0.1.6"], identity: ID("reviews"),
      canonicalService: "reviews", canonicalRevision: "v2",
      services: [{ hostname: "reviews.default.svc.cluster.local", vips: ["10.96.0.7"], ports: [{ port: 9080, targetPort: 8081 }] }],
    },
    {
      name: "legacy", namespace: "old", addresses: ["10.0.2.1"], identity: ID("legacy", "old"), hbone: false,
      waypoint: { address: "10.0.9.9", port: 15009 },
    },
  ],
};
const MESH = JSON.stringify(mesh);

describe("lib/workloads: parsing", () => {
  it("accepts the documented shape", () => {
    expect(m.str("check", MESH)).toBe("ok 3");
    expect(m.str("check", "{}")).toBe("ok 0");
  });

  it("finds workloads by any of their addresses, IPv6 in any spelling", () => {
    const line = `default/reviews-v1 ${ID("reviews")} k8s.cluster.name=east,k8s.namespace.name=default,k8s.deployment.name=reviews-v1,service.name=reviews,service.version=v1`;
    expect(m.str("at", MESH, "10.0.1.5")).toBe(line);
    expect(m.str("at", MESH, "fd00:0:0:0:0:0:0:5")).toBe(line);
    expect(m.str("at", MESH, "::ffff:10.0.1.5")).toBe(line);
    expect(m.str("at", MESH, "10.0.1.7")).toBe("none");
  });

  it("fills Istio defaults: kind pod, canonical service = name, revision latest, cluster Kubernetes", () => {
    expect(m.str("at", MESH, "10.0.2.1")).toBe(
      `old/legacy ${ID("legacy", "old")} k8s.cluster.name=Kubernetes,k8s.namespace.name=old,k8s.pod.name=legacy,service.name=legacy,service.version=latest via 10.0.9.9:15009 tcp`,
    );
  });

  it("indexes service VIP:port with the target port of each backend", () => {
    expect(m.str("vip", MESH, "10.96.0.7", 9080)).toBe(
      "default/reviews-v1@8080 reviews.default.svc.cluster.local, default/reviews-v2@8081 reviews.default.svc.cluster.local",
    );
    expect(m.str("vip", MESH, "10.96.0.8", 15000)).toBe("default/reviews-v1@15000 reviews-admin.default.svc.cluster.local");
    expect(m.str("vip", MESH, "fd00:96:0::8", 80)).toBe("default/reviews-v1@9090 reviews-admin.default.svc.cluster.local");
    expect(m.str("vip", MESH, "10.96.0.7", 9081)).toBe("vip without port");
    expect(m.str("vip", MESH, "10.0.1.5", 9080)).toBe("none");
  });

  it("indexes hostnames case-insensitively", () => {
    expect(m.str("host", MESH, "Reviews.Default.svc.cluster.local", 9080)).toBe("reviews-v1@8080, reviews-v2@8081");
    expect(m.str("host", MESH, "nope.default.svc.cluster.local", 9080)).toBe("none");
  });

  it("picks backends deterministically by salt", () => {
    expect(m.str("pick", MESH, "10.96.0.7", 9080, 0)).toBe("reviews-v1");
    expect(m.str("pick", MESH, "10.96.0.7", 9080, 1)).toBe("reviews-v2");
    expect(m.str("pick", MESH, "10.96.0.7", 9080, 7)).toBe("reviews-v2");
  });

  it("chooses the address of the destination's family for dual-stack workloads", () => {
    expect(m.str("addressLike", MESH, "10.0.1.5", "fd00::1")).toBe("fd00::5");
    expect(m.str("addressLike", MESH, "fd00::5", "10.96.0.7")).toBe("10.0.1.5");
    expect(m.str("addressLike", MESH, "10.0.1.6", "fd00::1")).toBe("10.0.1.6");
  });
});

describe("lib/workloads: errors name the JSON path", () => {
  const one = (w: Record<string, unknown>) => JSON.stringify({ workloads: [w] });
  const base = { name: "a", namespace: "ns", addresses: ["10.0.0.1"], identity: ID("a", "ns") };
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["missing name", { ...base, name: undefined }, "$.workloads[0].name: required field is missing"],
    ["bad address", { ...base, addresses: ["10.0.0.300"] }, "$.workloads[0].addresses[0]: not an IP address"],
    ["address with port", { ...base, addresses: ["10.0.0.1:80"] }, "$.workloads[0].addresses[0]: not an IP address"],
    ["no addresses", { ...base, addresses: [] }, "$.workloads[0].addresses: expected at least 1 element"],
    ["duplicate address", { ...base, addresses: ["fd00::1", "fd00:0::1"] }, "$.workloads[0].addresses[1]: duplicate address"],
    ["bad identity", { ...base, identity: "spiffe://cluster.local/a/b" }, "$.workloads[0].identity: not a SPIFFE id"],
    ["bad kind", { ...base, kind: "Deployment" }, "$.workloads[0].kind: must be one of"],
    ["baggage-breaking name", { ...base, name: "a,b=c" }, "$.workloads[0].name: must be 1..253 printable characters"],
    ["hbone not bool", { ...base, hbone: "yes" }, "$.workloads[0].hbone: expected boolean, got string"],
    ["unknown field", { ...base, labels: {} }, "$.workloads[0].labels: unknown field"],
    ["waypoint address", { ...base, waypoint: { address: "waypoint" } }, "$.workloads[0].waypoint.address: not an IP address"],
    ["waypoint port", { ...base, waypoint: { address: "10.0.0.9", port: 70000 } }, "$.workloads[0].waypoint.port: must be between 1 and 65535"],
    ["service hostname", { ...base, services: [{ hostname: "bad host", ports: [{ port: 80 }] }] }, "$.workloads[0].services[0].hostname: not a DNS name"],
    ["service vip", { ...base, services: [{ hostname: "a.ns", vips: ["x"], ports: [{ port: 80 }] }] }, "$.workloads[0].services[0].vips[0]: not an IP address"],
    ["service ports", { ...base, services: [{ hostname: "a.ns", ports: [] }] }, "$.workloads[0].services[0].ports: expected at least 1 element"],
    ["target port", { ...base, services: [{ hostname: "a.ns", ports: [{ port: 80, targetPort: 0 }] }] }, "$.workloads[0].services[0].ports[0].targetPort: must be between 1 and 65535"],
    ["duplicate port", { ...base, services: [{ hostname: "a.ns", ports: [{ port: 80 }, { port: 80 }] }] }, "$.workloads[0].services[0].ports[1]: duplicate service port 80"],
  ];
  for (const [name, w, message] of cases) {
    it(name, () => {
      expect(m.str("check", one(w))).toContain(message);
    });
  }

  it("rejects an address owned by two workloads", () => {
    const doc = { workloads: [base, { ...base, name: "b", addresses: ["10.0.0.2", "10.0.0.1"] }] };
    expect(m.str("check", JSON.stringify(doc))).toBe("$.workloads[1]: address 10.0.0.1 already belongs to workload ns/a");
  });

  it("rejects one VIP:port claimed by two different services, but not two backends of one service", () => {
    const svc = (hostname: string, port: number) => ({ hostname, vips: ["10.96.0.1"], ports: [{ port }] });
    const clash = { workloads: [{ ...base, services: [svc("a.ns", 80)] }, { ...base, name: "b", addresses: ["10.0.0.2"], services: [svc("b.ns", 80)] }] };
    expect(m.str("check", JSON.stringify(clash))).toBe("$.workloads[1]: VIP 10.96.0.1:80 already belongs to service a.ns");
    const otherPort = { workloads: [{ ...base, services: [svc("a.ns", 80)] }, { ...base, name: "b", addresses: ["10.0.0.2"], services: [svc("b.ns", 81)] }] };
    expect(m.str("check", JSON.stringify(otherPort))).toBe("ok 2");
    const twoBackends = { workloads: [{ ...base, services: [svc("a.ns", 80)] }, { ...base, name: "b", addresses: ["10.0.0.2"], services: [svc("a.ns", 80)] }] };
    expect(m.str("check", JSON.stringify(twoBackends))).toBe("ok 2");
  });

  it("rejects a workloads field that is not an array", () => {
    expect(m.str("check", JSON.stringify({ workloads: {} }))).toBe("$.workloads: expected array, got object");
  });

  it("never traps on hostile documents", () => {
    const hostile = [
      "", "[", "{\"workloads\": [1, null, \"x\", []]}", JSON.stringify({ workloads: [{ addresses: Array(100).fill("1.1.1.1") }] }),
      JSON.stringify({ workloads: [{ ...base, name: "x".repeat(100000) }] }), "{\"workloads\":" + "[".repeat(200) + "]".repeat(200) + "}",
    ];
    for (const doc of hostile) expect(m.str("check", doc)).not.toMatch(/^ok/);
    expect(m.logs.filter((l) => l.includes("abort"))).toEqual([]);
  });
});
