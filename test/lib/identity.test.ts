import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { NULL, loadAsModule, type AsModule } from "./harness.ts";

let m: AsModule;
beforeAll(async () => {
  m = await loadAsModule("identity");
});

const SLEEP = "spiffe://cluster.local/ns/default/sa/sleep";

describe("lib/spiffe", () => {
  it("parses Istio SPIFFE ids and renders both forms", () => {
    expect(m.str("spiffe", SLEEP)).toBe(`cluster.local|default|sleep|${SLEEP}|cluster.local/ns/default/sa/sleep`);
    expect(m.str("spiffe", "spiffe://td-1_x.example/ns/ns.with-dots/sa/SA_1")).toBe(
      "td-1_x.example|ns.with-dots|SA_1|spiffe://td-1_x.example/ns/ns.with-dots/sa/SA_1|td-1_x.example/ns/ns.with-dots/sa/SA_1",
    );
    expect(m.str("principal", "cluster.local/ns/default/sa/sleep")).toBe(SLEEP);
    expect(m.str("format", "example.org", "a", "b")).toBe("spiffe://example.org/ns/a/sa/b");
  });

  it("rejects anything that is not exactly <td>/ns/<ns>/sa/<sa>", () => {
    for (const bad of [
      "cluster.local/ns/default/sa/sleep", // principal form is not a URI
      "SPIFFE://cluster.local/ns/default/sa/sleep",
      "spiffe://cluster.local/ns/default/sa/sleep/extra",
      "spiffe://cluster.local/ns/default/sa",
      "spiffe://cluster.local/sa/sleep/ns/default",
      "spiffe://cluster.local/ns//sa/sleep",
      "spiffe:///ns/default/sa/sleep",
      "spiffe://Cluster.Local/ns/default/sa/sleep",
      "spiffe://cluster.local/ns/default/sa/sle ep",
      "spiffe://cluster.local/ns/../sa/sleep",
      "spiffe://cluster.local/ns/default/sa/sleep%2F",
      "spiffe://cluster.local:8080/ns/default/sa/sleep",
      "spiffe://cluster.local/ns/default/sa/" + "a".repeat(2100),
      "",
    ]) {
      expect(m.str("spiffe", bad), bad).toBe(NULL);
    }
    expect(m.str("stripScheme", SLEEP)).toBe("cluster.local/ns/default/sa/sleep");
    expect(m.str("stripScheme", "https://x")).toBe(NULL);
  });

  it("round-trips format ∘ parse and never traps (property)", () => {
    const segment = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/).filter((s) => s !== "." && s !== "..");
    fc.assert(
      fc.property(segment, segment, segment, (td, ns, sa) => {
        const uri = m.str("format", td, ns, sa);
        expect(m.str("spiffe", uri)).toBe(`${td}|${ns}|${sa}|${uri}|${uri.slice("spiffe://".length)}`);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."spife:/nsa.-_xyzAZ09 %"), maxLength: 80 }), (text) => {
        const out = m.str("spiffe", text);
        if (out !== NULL) expect(out.split("|")[3]).toBe(text);
      }),
      { numRuns: 1000 },
    );
    expect(m.logs).toEqual([]);
  });
});

describe("lib/istio-match string values (matcher/string.go)", () => {
  it("compiles values exactly as StringMatcherWithPrefix orders its checks", () => {
    expect(m.str("compile", "*")).toBe("3||*");
    expect(m.str("compile", "*abc")).toBe("2|abc|*abc");
    expect(m.str("compile", "abc*")).toBe("1|abc|abc*");
    expect(m.str("compile", "*abc*")).toBe("2|abc*|*abc*"); // leading * wins: suffix "abc*"
    expect(m.str("compile", "a*c")).toBe("0|a*c|a*c"); // inner * is literal
    expect(m.str("compile", "**")).toBe("2|*|**");
    expect(m.str("compile", "")).toBe("0||");
  });

  it("matches exact, prefix, suffix and presence", () => {
    const table: [string, string, number][] = [
      ["GET", "GET", 1], ["GET", "get", 0], ["/api*", "/api/v1", 1], ["/api*", "/ap", 0], ["*.js", "/a/b.js", 1],
      ["*.js", "/a/b.css", 0], ["*", "x", 1], ["*", "", 0], ["*abc*", "xabc*", 1], ["*abc*", "xabcx", 0], ["a*c", "abc", 0],
      ["a*c", "a*c", 1], ["", "", 1], ["*", "*", 1], ["abc*", "abc", 1], ["*abc", "abc", 1],
    ];
    for (const [pattern, value, expected] of table) expect(m.num("str", pattern, value), `${pattern} vs ${value}`).toBe(expected);
  });
});

describe("lib/istio-match principals (srcPrincipalGenerator, ztunnel matches_principal)", () => {
  const cases: [string, string | null, number, number][] = [
    // pattern, peer URI (null = no mTLS), Envoy result, ztunnel result
    ["cluster.local/ns/default/sa/sleep", SLEEP, 1, 1],
    ["cluster.local/ns/default/sa/sleep", "spiffe://cluster.local/ns/default/sa/sleepy", 0, 0],
    ["cluster.local/ns/default/*", SLEEP, 1, 1],
    ["*/sa/sleep", SLEEP, 1, 1],
    ["*/sa/sleep", "spiffe://x/ns/y/sa/notsleep", 0, 0],
    ["*sleep", "spiffe://x/ns/y/sa/notsleep", 1, 1],
    ["*", SLEEP, 1, 1],
    ["*", "https://not-spiffe.example/x", 1, 0], // Envoy `.+` on the whole SAN; ztunnel strips spiffe:// first
    ["*", "spiffe://", 1, 0],
    ["*", null, 0, 0],
    ["*", "", 0, 0],
    [SLEEP, SLEEP, 0, 0], // written with spiffe:// → never matches (istio/ztunnel#1901)
    ["spiffe://*", SLEEP, 0, 0],
    ["cluster.local/ns/default/sa/sleep", "cluster.local/ns/default/sa/sleep", 0, 0],
    ["*/ns/default/sa/sleep", "https://cluster.local/ns/default/sa/sleep", 0, 0],
    ["*", "spiffe://cluster.local/ns/default/sa/" + "a".repeat(2100), 0, 0], // over 2048: treated as no identity
    ["*" + "a".repeat(10), "spiffe://cluster.local/ns/default/sa/" + "a".repeat(2000), 1, 1],
  ];
  it("follows Envoy's translation and ztunnel's semantics", () => {
    for (const [pattern, peer, envoy, ztunnel] of cases) {
      expect(m.num("principalMatch", pattern, peer ?? "", peer !== null, false), `envoy ${pattern} ${peer}`).toBe(envoy);
      expect(m.num("principalMatch", pattern, peer ?? "", peer !== null, true), `ztunnel ${pattern} ${peer}`).toBe(ztunnel);
    }
  });
});

describe("lib/istio-match namespaces and service accounts", () => {
  it("matches namespaces like Istio's regex (Envoy) and the parsed namespace (ztunnel)", () => {
    const cases: [string, string, number, number][] = [
      ["default", SLEEP, 1, 1],
      ["defaul", SLEEP, 0, 0],
      ["def*", SLEEP, 1, 1],
      ["*ult", SLEEP, 1, 1],
      ["*", SLEEP, 1, 1],
      ["d*t", SLEEP, 1, 0], // Envoy regex d.*t; ztunnel: exact "d*t"
      ["default", "spiffe://td/ns/other/sa/x/ns/default/y", 1, 0], // regex finds /ns/default/ anywhere; ztunnel needs a valid id
      ["default", "https://td/ns/default/sa/x", 1, 0],
      ["default", "", 0, 0],
      ["*", "spiffe://td/ns//sa/x", 1, 0],
      ["*", "spiffe://td/ns/a/sa/" + "/ns/a/".repeat(400), 0, 0], // over 2048 characters
    ];
    for (const [pattern, peer, envoy, ztunnel] of cases) {
      expect(m.num("namespaceMatch", pattern, peer, false), `envoy ${pattern} ${peer}`).toBe(envoy);
      expect(m.num("namespaceMatch", pattern, peer, true), `ztunnel ${pattern} ${peer}`).toBe(ztunnel);
    }
  });

  it("matches serviceAccounts like serviceAccountRegex (Envoy) and the (ns, sa) pair (ztunnel)", () => {
    const cases: [string, string, string, number, number][] = [
      ["sleep", "default", SLEEP, 1, 1],
      ["default/sleep", "other", SLEEP, 1, 1],
      ["other/sleep", "default", SLEEP, 0, 0],
      ["sleep", "other", SLEEP, 0, 0],
      ["slee", "default", SLEEP, 0, 0],
      ["sleep", "default", "spiffe://cluster.local/ns/default/sa/sleep-x", 0, 0], // (/.+)? keeps "sleep-x" out
      ["sleep", "default", "spiffe://cluster.local/ns/default/sa/sleep/extra", 1, 0],
      ["sleep", "default", "spiffe://cluster.local/ns/default/k/v/sa/sleep", 1, 0],
      ["sleep", "default", "spiffe:///ns/default/sa/sleep", 0, 0], // trust domain must be non-empty (.+)
      ["sleep", "default", "spiffe://td/ns/default/sa/sleep/", 0, 0],
      ["sleep", "default", "cluster.local/ns/default/sa/sleep", 0, 0],
    ];
    for (const [value, policyNs, peer, envoy, ztunnel] of cases) {
      expect(m.num("serviceAccountMatch", value, policyNs, peer, false), `envoy ${value} ${peer}`).toBe(envoy);
      expect(m.num("serviceAccountMatch", value, policyNs, peer, true), `ztunnel ${value} ${peer}`).toBe(ztunnel);
    }
  });

  it("agrees with Istio's regexes on random identities (property)", () => {
    const part = fc.constantFrom("default", "sleep", "ns", "sa", "a", "x-y", "");
    const uri = fc.array(part, { minLength: 1, maxLength: 8 }).map((parts) => "spiffe://" + parts.join("/"));
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
    fc.assert(
      fc.property(uri, fc.constantFrom("default", "sleep", "def*", "*", "*ep"), (peer, value) => {
        const nsRegex = new RegExp("^.*/ns/" + value.split("*").map(esc).join(".*") + "/.*$");
        expect(m.num("namespaceMatch", value, peer, false)).toBe(nsRegex.test(peer) ? 1 : 0);
        if (!value.includes("*")) {
          const saRegex = new RegExp(`^spiffe://.+/ns/default/(.+/|)sa/${esc(value)}(/.+)?$`);
          expect(m.num("serviceAccountMatch", value, "default", peer, false)).toBe(saRegex.test(peer) ? 1 : 0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("glob-matches with * as any run", () => {
    expect(m.num("glob", "*/ns/a/*", "spiffe://t/ns/a/sa/b")).toBe(1);
    expect(m.num("glob", "a*b*c", "aXbYc")).toBe(1);
    expect(m.num("glob", "a*b*c", "aXcYb")).toBe(0);
    expect(m.num("glob", "*", "")).toBe(1);
    expect(m.num("glob", "", "x")).toBe(0);
    expect(m.num("glob", "*" .repeat(50) + "x", "y".repeat(2000))).toBe(0);
  });
});

describe("lib/istio-match headers, methods, hosts, paths", () => {
  it("uses presence for * on headers and methods (HeaderMatcher present_match)", () => {
    expect(m.num("headerMatch", "*", "", true)).toBe(1); // present with an empty value
    expect(m.num("headerMatch", "*", "", false)).toBe(0);
    expect(m.num("headerMatch", "v1*", "v1.2", true)).toBe(1);
    expect(m.num("headerMatch", "*-canary", "x-canary", true)).toBe(1);
    expect(m.num("headerMatch", "GET", "get", true)).toBe(0);
    expect(m.num("headerMatch", "", "", true)).toBe(1);
  });

  it("matches hosts case-insensitively (HostMatcher ignore_case)", () => {
    expect(m.num("hostMatch", "Example.com", "example.COM")).toBe(1);
    expect(m.num("hostMatch", "*.example.com", "API.Example.Com")).toBe(1);
    expect(m.num("hostMatch", "api.*", "API.other")).toBe(1);
    expect(m.num("hostMatch", "*", "")).toBe(1);
    expect(m.num("hostMatch", "example.com", "example.com:80")).toBe(0);
  });

  it("matches paths without the query string; * needs a non-empty path", () => {
    expect(m.num("pathMatch", "/api/*", "/api/v1?x=1")).toBe(1);
    expect(m.num("pathMatch", "/exact", "/exact?q")).toBe(1);
    expect(m.num("pathMatch", "/exact", "/exact#frag")).toBe(1);
    expect(m.num("pathMatch", "*.html", "/index.html?v=2")).toBe(1);
    expect(m.num("pathMatch", "*", "?only-query")).toBe(0);
    expect(m.num("pathMatch", "*", "/")).toBe(1);
    expect(m.str("stripQuery", "/a/b?c#d")).toBe("/a/b");
  });

  it("matches {*} and {**} templates as Envoy's uri_template does", () => {
    const table: [string, string, number][] = [
      ["/foo/{*}", "/foo/bar", 1],
      ["/foo/{*}", "/foo/bar/baz", 0],
      ["/foo/{*}", "/foo/", 0],
      ["/foo/{**}", "/foo/bar/baz", 1],
      ["/foo/{**}", "/foo/", 1],
      ["/foo/{**}", "/foo", 0],
      ["/foo/{*}/bar", "/foo/x/bar", 1],
      ["/foo/{*}/bar", "/foo/x/y/bar", 0],
      ["/{*}/{**}", "/a/b/c?q=1", 1],
      ["/foo/{*}.txt", "/foo/a.txt", 0], // Istio allows templates only as whole segments: invalid, never matches
      ["/{**}.txt", "/a/b.txt", 0],
      ["/foo/{**}/end", "/foo/a/b/end", 1],
      ["/foo/{**}/end", "/foo/end", 0], // "/foo/" + "" + "/end" would need "//"
      ["/foo/{*}/", "/foo/a/", 1],
      ["/foo/{*}", "/foo/b%20r", 1],
      ["/foo/{*}", "/foo/b r", 0],
    ];
    for (const [pattern, path, expected] of table) expect(m.num("pathMatch", pattern, path), `${pattern} vs ${path}`).toBe(expected);
  });

  it("rejects templates Istio's validation or Envoy would reject", () => {
    expect(m.num("templateValid", "/foo/{*}")).toBe(1);
    expect(m.num("templateValid", "/foo/{**}/bar")).toBe(1);
    expect(m.num("templateValid", "/{*}/{*}/{**}")).toBe(1);
    for (const bad of ["foo/{*}", "/foo/{**}/{*}", "/foo//{*}", "/foo/{id}", "/fo o/{*}", "/foo/abc{*}", "/{**}/{**}", "/{*}abc",
      "/foo/{*}.txt", "/{*}/{", "/a*/{*}"]) {
      expect(m.num("templateValid", bad), bad).toBe(0);
    }
  });

  it("never traps or hangs on hostile paths and patterns (property)", () => {
    const pathish = fc.string({ unit: fc.constantFrom(..."/ab*{}?#%.-"), maxLength: 60 });
    fc.assert(
      fc.property(pathish, pathish, (pattern, path) => {
        const r = m.num("pathMatch", pattern, path);
        expect(r === 0 || r === 1).toBe(true);
        m.num("hostMatch", pattern, path);
        m.num("namespaceMatch", pattern, path, false);
        m.num("serviceAccountMatch", pattern, "ns", path, false);
      }),
      { numRuns: 2000 },
    );
    expect(m.num("pathMatch", "/{*}".repeat(41) + "/{**}", "/a".repeat(300))).toBe(1);
    expect(m.num("pathMatch", "/{*}".repeat(41) + "/{**}/zz", "/a".repeat(300))).toBe(0);
    expect(m.logs).toEqual([]);
  });
});
