// The trace-level explanation (explain.ts) that `ambient-wasm authz check` reads: over every case of the
// decision table, in all three modes, the explanation agrees with the decision the filter enforced, and every
// failed clause it names exists in the policy as written. Below trace level nothing is explained.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { Host } from "../../emulator/index.ts";
import { compileAssemblyScript } from "../../scripts/asc.mjs";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
let module: Uint8Array;
beforeAll(async () => {
  await compileAssemblyScript("filters/identity-rbac/filter.ts", "build/identity-rbac.wasm");
  module = readFileSync(here("../../build/identity-rbac.wasm"));
});

type Mode = "l7" | "l4" | "connect";
interface Policy { name: string; namespace: string; dryRun?: boolean; spec: Record<string, any> }
interface TableCase {
  name: string;
  policies: string | Policy[];
  peer?: string | null;
  source?: string;
  destination?: string;
  request?: { method?: string; path?: string; authority?: string; headers?: Record<string, string> };
}
const table = parseYaml(readFileSync(here("fixtures/decision-table.yaml"), "utf8")) as {
  workload: unknown;
  rootNamespace: string;
  peers: Record<string, string>;
  defaults: { peer: string; source: string; destination: string; request: { method: string; path: string; authority: string } };
  policySets: Record<string, Policy[]>;
  cases: TableCase[];
};

interface Line { policy: string; action: string; dryRun: boolean; rule: string; result: string; clause?: string }
const EXPLAIN = /^identity-rbac: explain workload=\S+ policy=(\S+) action=(\S+) dry_run=(\S+) rule=(\S+) result=(\S+)(?: clause=(\S+))?$/;

async function run(c: TableCase, mode: Mode, logLevel: "trace" | "debug") {
  const policies = Array.isArray(c.policies) ? c.policies : table.policySets[c.policies];
  const host = new Host({ logLevel });
  const plugin = await host.loadPlugin({
    module, rootId: `identity-rbac-${mode}`,
    configuration: JSON.stringify({ workload: table.workload, rootNamespace: table.rootNamespace, policies }),
  });
  const peerName = c.peer === undefined ? table.defaults.peer : c.peer;
  const peer = peerName === null ? null : table.peers[peerName] ?? peerName;
  const props: Record<string, string | boolean> = {
    "source.address": c.source ?? table.defaults.source,
    "destination.address": mode === "connect" ? "10.0.0.5:15008" : c.destination ?? table.defaults.destination,
    "connection.mtls": peer !== null,
  };
  if (peer !== null) props["connection.uri_san_peer_certificate"] = peer;
  const first = host.logs.length;
  if (mode === "l4") {
    const conn = host.tcpConnection({ filters: [plugin], properties: props });
    conn.open();
    conn.downstreamData("x", false);
  } else {
    const s = host.httpStream({ filters: [plugin], connection: props });
    const r = { ...table.defaults.request, ...c.request };
    const headers: [string, string][] = mode === "connect"
      ? [[":method", "CONNECT"], [":authority", c.destination ?? table.defaults.destination]]
      : [[":method", r.method], [":path", r.path], [":authority", r.authority], [":scheme", "https"], ...Object.entries(c.request?.headers ?? {})];
    s.sendRequestHeaders(headers, true);
  }
  const messages = host.logs.slice(first).map((l) => l.message);
  const decision = messages.map((m) => /^identity-rbac: (allowed|denied) policy=(\S+)/.exec(m)).find((m) => m !== null)!;
  const lines: Line[] = messages.map((m) => EXPLAIN.exec(m)).filter((m) => m !== null)
    .map((m) => ({ policy: m![1], action: m![2], dryRun: m![3] === "true", rule: m![4], result: m![5], clause: m![6] }));
  return { policies, decision: { allowed: decision[1] === "allowed", policy: decision[2] }, lines };
}

function valueAt(spec: Record<string, any>, path: (string | number)[]): unknown {
  return path.reduce<any>((v, seg) => (v === undefined || v === null ? undefined : v[seg]), spec);
}

describe("explanation agrees with the decision (decision table, every mode)", () => {
  for (const mode of ["l7", "l4", "connect"] as const) {
    it(`${mode}: all cases`, async () => {
      for (const c of table.cases) {
        const { policies, decision, lines } = await run(c, mode, "trace");
        const where = `${mode} ${c.name}`;
        const enforced = lines.filter((l) => !l.dryRun && l.action !== "AUDIT");
        const id = /^ns\[(.*)\]-policy\[(.*)\]-rule\[(\d+)\]$/.exec(decision.policy);
        if (id) {
          // The deciding rule is explained as matched.
          expect(enforced, where).toContainEqual(expect.objectContaining({ policy: `${id[1]}/${id[2]}`, rule: id[3], result: "matched" }));
        } else if (decision.allowed) {
          // Allowed by default: no enforced ALLOW policy applies, no enforced DENY rule matched.
          expect(enforced.filter((l) => l.action === "ALLOW"), where).toEqual([]);
          expect(enforced.filter((l) => l.action === "DENY" && l.result === "matched"), where).toEqual([]);
        } else if (decision.policy === "none") {
          // Denied by default: ALLOW policies apply and none of their rules matched.
          expect(enforced.some((l) => l.action === "ALLOW"), where).toBe(true);
          expect(enforced.filter((l) => l.result === "matched" && l.action !== "AUDIT"), where).toEqual([]);
        }
        // Every failed clause names a part of the rule as written.
        for (const l of lines.filter((x) => x.result === "failed")) {
          const p = policies.find((q) => `${q.namespace}/${q.name}` === l.policy)!;
          const m = /^(from\[0\]\.source|to\[0\]\.operation|when\[(\d+)\])(?:\.(\w+|\(dropped\)))?$/.exec(l.clause ?? "");
          expect(m, `${where}: ${l.clause}`).not.toBeNull();
          const base = m![1].startsWith("from") ? ["from", 0, "source"] : m![1].startsWith("to") ? ["to", 0, "operation"] : ["when", Number(m![2])];
          const written = valueAt(p.spec, ["rules", Number(l.rule), ...base, ...(m![3] && m![3] !== "(dropped)" ? [m![3]] : [])]);
          expect(written, `${where}: ${l.policy} rule ${l.rule} ${l.clause}`).toBeDefined();
          if (m![3] === "(dropped)") expect(mode, where).not.toBe("l7");
        }
      }
    });
  }

  it("is silent below trace level", async () => {
    for (const c of table.cases.slice(0, 10)) expect((await run(c, "l7", "debug")).lines).toEqual([]);
  });
});

describe("first failed clause", () => {
  const peer = "spiffe://cluster.local/ns/bar/sa/client";
  async function clauseFor(mode: Mode, rule: Record<string, unknown>, request: TableCase["request"] = {}) {
    const c: TableCase = { name: "x", peer, request, policies: [{ name: "p", namespace: "foo", spec: { rules: [rule] } }] };
    const { lines } = await run(c, mode, "trace");
    expect(lines).toHaveLength(1);
    return lines[0].result === "matched" ? "matched" : lines[0].clause;
  }

  it.each([
    [{ from: [{ source: { principals: ["cluster.local/ns/foo/sa/sleep"] } }] }, "from[0].source.principals"],
    [{ from: [{ source: { notPrincipals: ["cluster.local/ns/bar/*"] } }] }, "from[0].source.notPrincipals"],
    [{ from: [{ source: { namespaces: ["foo"] } }] }, "from[0].source.namespaces"],
    [{ from: [{ source: { notNamespaces: ["bar"] } }] }, "from[0].source.notNamespaces"],
    [{ from: [{ source: { serviceAccounts: ["foo/sleep"] } }] }, "from[0].source.serviceAccounts"],
    [{ from: [{ source: { ipBlocks: ["192.168.0.0/16"] } }] }, "from[0].source.ipBlocks"],
    [{ from: [{ source: { notIpBlocks: ["10.0.0.0/8"] } }] }, "from[0].source.notIpBlocks"],
    [{ from: [{ source: { namespaces: ["bar"], notIpBlocks: ["10.1.0.0/16"] } }] }, "from[0].source.notIpBlocks"],
    [{ from: [{ source: { requestPrincipals: ["*"] } }] }, "from[0].source.requestPrincipals"],
    [{ to: [{ operation: { ports: ["9000"] } }] }, "to[0].operation.ports"],
    [{ to: [{ operation: { notPorts: ["8000"] } }] }, "to[0].operation.notPorts"],
    [{ to: [{ operation: { methods: ["POST"] } }] }, "to[0].operation.methods"],
    [{ to: [{ operation: { ports: ["8000"], notMethods: ["GET"] } }] }, "to[0].operation.notMethods"],
    [{ to: [{ operation: { hosts: ["other.example"] } }] }, "to[0].operation.hosts"],
    [{ to: [{ operation: { paths: ["/admin*"] } }] }, "to[0].operation.paths"],
    [{ to: [{ operation: { notPaths: ["/info"] } }] }, "to[0].operation.notPaths"],
    [{ when: [{ key: "source.ip", values: ["10.1.0.7"] }, { key: "request.headers[x-user]", values: ["alice"] }] }, "when[1]"],
    [{ from: [{ source: { namespaces: ["bar"] } }], to: [{ operation: { methods: ["GET"] } }] }, "matched"],
  ])("L7 %j → %s", async (rule, clause) => {
    expect(await clauseFor("l7", rule)).toBe(clause);
  });

  it("L4: what ztunnel cannot see is reported as dropped (DENY) or the rule is gone (ALLOW)", async () => {
    const deny = { name: "x", peer, policies: [{ name: "d", namespace: "foo", spec: { action: "DENY", rules: [{ to: [{ operation: { methods: ["GET"] } }] }, { when: [{ key: "request.headers[a]", values: ["b"] }] }] } }] };
    const { lines } = await run(deny, "l4", "trace");
    expect(lines.map((l) => l.clause)).toEqual(["to[0].operation.(dropped)", "when[0].(dropped)"]);
    const allow = { name: "x", peer, policies: [{ name: "a", namespace: "foo", spec: { rules: [{ to: [{ operation: { methods: ["GET"] } }] }] } }] };
    expect((await run(allow, "connect", "trace")).lines).toEqual([{ policy: "foo/a", action: "ALLOW", dryRun: false, rule: "-", result: "no-rules", clause: undefined }]);
  });
});
