import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { NULL, loadAsModule, type AsModule } from "./harness.ts";

let m: AsModule;
beforeAll(async () => {
  m = await loadAsModule("headers");
});

const ZTUNNEL_BAGGAGE = "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=v1";

describe("lib/baggage W3C parsing", () => {
  it("parses members with OWS, properties and percent-encoding", () => {
    expect(m.str("baggage", "a=1,b=2")).toBe("a=1\nb=2|skipped=0");
    expect(m.str("baggage", " a = 1 ,\tb=2;prop;k=v , c=%E2%82%AC%20x ")).toBe("a=1\nb=2\nc=€ x|skipped=0");
    expect(m.str("baggage", "a=")).toBe("a=|skipped=0");
    expect(m.str("baggage", "")).toBe("|skipped=0");
    expect(m.str("baggage", "a=x=y")).toBe("a=x=y|skipped=0"); // '=' is a baggage-octet
  });

  it("skips empty and malformed members without losing the others", () => {
    expect(m.str("baggage", ",,a=1,, ,b=2,")).toBe("a=1\nb=2|skipped=0");
    expect(m.str("baggage", "novalue,a=1")).toBe("a=1|skipped=1");
    expect(m.str("baggage", "a=%ZZ,b=%4,c=%e2%82,d=ok")).toBe("d=ok|skipped=3"); // bad escapes, truncated UTF-8
    expect(m.str("baggage", 'a="q",b=back\\slash,c=sp ace,d=ok')).toBe("d=ok|skipped=3");
    expect(m.str("baggage", "k(ey)=1,=2,k y=3,ok=4")).toBe("ok=4|skipped=3");
    expect(m.str("baggage", "a=1;=bad,b=2;p=\"q\",c=3;p")).toBe("c=3|skipped=2");
    expect(m.str("baggage", "ü=1,a=ü")).toBe("|skipped=2");
  });

  it("gives the last value of a duplicated key", () => {
    expect(m.str("baggageGet", "a=1,a=2", "a")).toBe("2");
    expect(m.str("baggageGet", "a=1,b=2", "c")).toBe("!absent");
  });

  it("enforces W3C limits: 8192 bytes and 64 members", () => {
    const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(",");
    expect(m.str("baggage", members(64))).toMatch(/\|skipped=0$/);
    expect(m.str("baggage", members(65))).toBe(NULL);
    expect(m.str("baggage", members(64) + ",,,")).toMatch(/\|skipped=0$/); // empty members do not count
    expect(m.str("baggage", "a=" + "x".repeat(8190))).toMatch(/^a=x+\|skipped=0$/);
    expect(m.str("baggage", "a=" + "x".repeat(8191))).toBe(NULL);
    expect(m.str("baggage", "a=" + "é".repeat(4095))).toBe("|skipped=1"); // exactly 8192 bytes: parsed (é is not a baggage-octet)
    expect(m.str("baggage", "a=" + "é".repeat(4096))).toBe(NULL); // 4098 characters but 8194 bytes
  });

  it("re-encodes values W3C cannot carry raw", () => {
    expect(m.str("baggageReencode", "a=%20%25%2C%3B,b=plain")).toBe("a=%20%25%2C%3B,b=plain");
    expect(m.str("encodeValue", 'x y,z;"\\%€')).toBe("x%20y%2Cz%3B%22%5C%25%E2%82%AC");
  });

  it("round-trips any value through encode and parse (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: "grapheme" }), (value) => {
        const header = "k=" + m.str("encodeValue", value);
        expect(m.str("baggageGet", header, "k")).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it("never traps on hostile headers (property)", () => {
    const baggageish = fc.string({ unit: fc.constantFrom(..."ab=,;% \t\"\\0F9k.é"), maxLength: 120 });
    fc.assert(
      fc.property(fc.oneof(baggageish, fc.string({ maxLength: 200, unit: "binary" })), (header) => {
        const out = m.str("baggage", header);
        expect(out).toBe(m.str("baggage", header));
        m.str("peer", header);
      }),
      { numRuns: 2000 },
    );
    expect(m.str("baggage", ",".repeat(8192))).toBe("|skipped=0");
    expect(m.str("peer", "%".repeat(8000))).not.toBe(NULL);
    expect(m.logs).toEqual([]);
  });
});

describe("lib/baggage Istio peer metadata", () => {
  // cluster|namespace|workload|kind|service|version|app|appVersion|instance|region|zone
  it("reads ztunnel's baggage", () => {
    expect(m.str("peer", ZTUNNEL_BAGGAGE)).toBe("Kubernetes|default|sleep|deployment|sleep|v1|sleep|v1|||");
    expect(m.str("peer", "k8s.cluster.name=c,k8s.namespace.name=n,k8s.cronjob.name=cj,cloud.region=r,cloud.availability_zone=z")).toBe(
      "c|n|cj|cronjob||||||r|z",
    );
  });

  it("reads Istio proxy's keys, with app/service fallbacks", () => {
    expect(m.str("peer", "k8s.pod.name=p,app.name=productpage,app.version=v2,k8s.instance.name=p-123")).toBe(
      "||p|pod|productpage|v2|productpage|v2|p-123||",
    );
    expect(m.str("peer", "service.name=svc,app.name=app")).toBe("||||svc||app||||");
  });

  it("lets the last duplicate win and treats empty values as unknown", () => {
    expect(m.str("peer", "k8s.namespace.name=a,k8s.namespace.name=b")).toBe("|b|||||||||");
    expect(m.str("peer", "k8s.namespace.name=a,k8s.namespace.name=")).toBe("||||||||||");
    expect(m.str("peer", "k8s.deployment.name=d,k8s.job.name=j")).toBe("||j|job|||||||");
    expect(m.str("peer", "k8s.deployment.name=d,k8s.job.name=")).toBe("||||||||||");
  });

  it("ignores unknown keys and kinds, and W3C properties", () => {
    expect(m.str("peer", "k8s.replicaset.name=r,foo=bar,k8s..name=x,k8s.name=y,k8s.namespace.name=ns;p=1")).toBe("|ns|||||||||");
  });

  it("returns null for headers over the W3C limits", () => {
    expect(m.str("peer", "k8s.namespace.name=" + "a".repeat(9000))).toBe(NULL);
  });

  it("encodes exactly ztunnel's format", () => {
    expect(m.str("encodePeer", "Kubernetes|default|sleep|deployment|sleep|v1||")).toBe(ZTUNNEL_BAGGAGE);
    expect(m.str("encodePeer", "|ns|w|statefulset|||r|z")).toBe("k8s.namespace.name=ns,k8s.pod.name=w,cloud.region=r,cloud.availability_zone=z");
    expect(m.str("encodePeer", "|||||||")).toBe("");
    expect(m.str("encodePeer", "c|n|w|job|s|v|r|z")).toBe(
      "k8s.cluster.name=c,k8s.namespace.name=n,k8s.job.name=w,service.name=s,service.version=v,cloud.region=r,cloud.availability_zone=z",
    );
  });

  it("round-trips encode ∘ parse for any field values (property)", () => {
    const value = fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,15}$/), fc.constant(""), fc.string({ maxLength: 10, unit: "grapheme" }).filter((s) => !s.includes("|")));
    const kind = fc.constantFrom("deployment", "cronjob", "pod", "job");
    fc.assert(
      fc.property(value, value, value, kind, value, value, value, value, (cluster, ns, workload, k, svc, version, region, zone) => {
        const encoded = m.str("encodePeer", [cluster, ns, workload, k, svc, version, region, zone].join("|"));
        const expectedKind = workload === "" ? "" : k;
        expect(m.str("peer", encoded)).toBe([cluster, ns, workload, expectedKind, svc, version, svc, version, "", region, zone].join("|"));
      }),
      { numRuns: 500 },
    );
  });
});

describe("lib/forwarded RFC 7239", () => {
  it("parses ztunnel's forwarded header", () => {
    expect(m.str("forwarded", 'for="10.0.0.1:4567";host=echo.ns.svc.cluster.local')).toBe("for=10.0.0.1:4567;host=echo.ns.svc.cluster.local");
    expect(m.str("forwarded", 'for="[2001:db8::1]:80"')).toBe("for=[2001:db8::1]:80");
    expect(m.str("fwdHost", 'for="10.0.0.1:4567";host=echo.ns.svc.cluster.local')).toBe("echo.ns.svc.cluster.local");
    expect(m.str("fwdHost", 'for="10.0.0.1:4567"')).toBe(NULL);
  });

  it("parses several elements, case-insensitive names, quoted-pairs and OWS", () => {
    expect(m.str("forwarded", 'For=192.0.2.60;Proto=http;By=203.0.113.43, for="_gazonk" ,for=unknown')).toBe(
      "for=192.0.2.60;proto=http;by=203.0.113.43\nfor=_gazonk\nfor=unknown",
    );
    expect(m.str("forwarded", 'host="a\\"b\\\\c";proto=https')).toBe('host=a"b\\c;proto=https');
    expect(m.str("forwarded", ";;for=a;;,,")).toBe("for=a");
    expect(m.str("fwdHost", 'for=a,host="second.example"')).toBe("second.example");
  });

  it("rejects malformed headers and repeated parameters", () => {
    for (const bad of ["for", "for=", "=x", "for=a b", 'for="unterminated', "for=10.0.0.1:80", 'for="a"x', "for=a;for=b",
      'for="bad\u0001"', "for=a host=b", 'for="\\\u0001"', "f\u00f6r=a"]) {
      expect(m.str("forwarded", bad), bad).toBe(NULL);
    }
    expect(m.str("forwarded", "for=a,for=b")).toBe("for=a\nfor=b");
  });

  it("enforces size limits", () => {
    expect(m.str("forwarded", Array.from({ length: 64 }, () => "for=a").join(","))).not.toBe(NULL);
    expect(m.str("forwarded", Array.from({ length: 65 }, () => "for=a").join(","))).toBe(NULL);
    expect(m.str("forwarded", Array.from({ length: 17 }, (_, i) => `p${i}=a`).join(";"))).toBe(NULL);
    expect(m.str("forwarded", "host=" + "a".repeat(8200))).toBe(NULL);
  });

  it("parses node values", () => {
    expect(m.str("fwdNode", "192.0.2.43")).toBe("192.0.2.43|-1|");
    expect(m.str("fwdNode", "192.0.2.43:47011")).toBe("192.0.2.43|47011|");
    expect(m.str("fwdNode", "[2001:DB8:cafe::17]:4711")).toBe("2001:db8:cafe::17|4711|");
    expect(m.str("fwdNode", "[2001:db8:cafe::17]")).toBe("2001:db8:cafe::17|-1|");
    expect(m.str("fwdNode", "unknown")).toBe("-|-1|unknown");
    expect(m.str("fwdNode", "_hidden:_port")).toBe("-|-1|_hidden");
    expect(m.str("fwdNode", "10.0.0.1:_p")).toBe("10.0.0.1|-1|");
    for (const bad of ["", "2001:db8::1", "[2001:db8::1", "[::1]x", "10.0.0.1:", "10.0.0.1:99999", "_", "_a b", "host.example", "[1.2.3.4]"]) {
      expect(m.str("fwdNode", bad), bad).toBe(NULL);
    }
  });

  it("builds the header as ztunnel does", () => {
    expect(m.str("buildFwd", "10.0.0.1:4567", "echo.ns.svc.cluster.local")).toBe('for="10.0.0.1:4567";host=echo.ns.svc.cluster.local');
    expect(m.str("buildFwd", "[::1]:80", "")).toBe('for="[::1]:80"');
    expect(m.str("buildFwd", "[2001:DB8::1]:80", "")).toBe('for="[2001:db8::1]:80"');
    expect(m.str("fwdValue", "a b\"c")).toBe('"a b\\"c"');
    expect(m.str("fwdValue", "token.ok")).toBe("token.ok");
  });

  it("parses what it builds (property)", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const source = fc.oneof(
      fc.tuple(octet, octet, octet, octet, fc.integer({ min: 0, max: 65535 })).map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}:${p}`),
      fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 65535 })).map(([g, p]) => `[${g.map((x) => x.toString(16)).join(":")}]:${p}`),
    );
    fc.assert(
      fc.property(source, fc.oneof(fc.constant(""), fc.stringMatching(/^[a-z0-9.-]{1,30}$/), fc.string({ maxLength: 20 })), (src, host) => {
        const header = m.str("buildFwd", src, host);
        expect(header).not.toBe(NULL);
        const parsed = m.str("forwarded", header);
        const forValue = parsed.split(";")[0].slice("for=".length);
        expect(m.str("fwdNode", forValue)).not.toBe(NULL);
        const printable = [...host].filter((c) => c === "\t" || (c >= " " && c <= "~")).join("");
        expect(m.str("fwdHost", header)).toBe(printable === "" ? NULL : printable);
      }),
      { numRuns: 800 },
    );
  });

  it("never traps on hostile headers (property)", () => {
    const fwdish = fc.string({ unit: fc.constantFrom(..."for=\";,\\ []:_.ab1%\t"), maxLength: 120 });
    fc.assert(
      fc.property(fc.oneof(fwdish, fc.string({ maxLength: 200, unit: "binary" })), (header) => {
        expect(m.str("forwarded", header)).toBe(m.str("forwarded", header));
        m.str("fwdNode", header);
        m.str("xff", header);
      }),
      { numRuns: 2000 },
    );
    expect(m.logs).toEqual([]);
  });
});

describe("lib/forwarded X-Forwarded-For", () => {
  it("splits entries and reads bare addresses", () => {
    expect(m.str("xff", "203.0.113.7, 10.0.0.1,2001:db8::1")).toBe("203.0.113.7=203.0.113.7,10.0.0.1=10.0.0.1,2001:db8::1=2001:db8::1");
    expect(m.str("xff", "unknown,10.0.0.1:80")).toBe("unknown=-,10.0.0.1:80=-");
    expect(m.str("xff", "1.1.1.1,,2.2.2.2")).toBe(NULL);
    expect(m.str("xff", "")).toBe(NULL);
    expect(m.str("xff", Array.from({ length: 65 }, () => "1.1.1.1").join(","))).toBe(NULL);
  });

  it("appends with ',' as Envoy does", () => {
    expect(m.str("appendXff", "", "10.0.0.1")).toBe("10.0.0.1");
    expect(m.str("appendXff", "203.0.113.7", "2001:DB8::1")).toBe("203.0.113.7,2001:db8::1");
  });
});

describe("lib/percent, lib/utf8, lib/strings", () => {
  it("percent-decodes to UTF-8 strictly", () => {
    expect(m.str("pdecode", "a%20b%e2%82%AC")).toBe("a b€");
    expect(m.str("pdecode", "plain")).toBe("plain");
    expect(m.str("pdecode", "%F0%9F%98%80")).toBe("😀");
    for (const bad of ["%", "%2", "%G0", "%C0%80", "%ED%A0%80", "%FF", "%E2%82"]) expect(m.str("pdecode", bad), bad).toBe(NULL);
  });

  it("percent-encodes with a caller's safe set (property: decode ∘ encode = id)", () => {
    expect(m.str("pencode", "a b/€")).toBe("a%20b%2F%E2%82%AC");
    fc.assert(
      fc.property(fc.string({ maxLength: 30, unit: "grapheme" }), (s) => {
        const encoded = m.str("pencode", s);
        expect(encoded).toMatch(/^[A-Za-z0-9\-._~%]*$/);
        expect(m.str("pdecode", encoded)).toBe(s);
        expect(encoded).toBe(encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()));
      }),
      { numRuns: 500 },
    );
  });

  it("decodes UTF-8 like TextDecoder in fatal mode (property)", () => {
    const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 20 }).map((s) => new TextEncoder().encode(s))), (bytes) => {
        let expected: string;
        try {
          expected = decoder.decode(bytes);
        } catch {
          expected = NULL;
        }
        expect(m.str("utf8", bytes)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("lower-cases ASCII only and compares case-insensitively", () => {
    expect(m.str("lower", "HeLLo-ÄÖ-İ")).toBe("hello-ÄÖ-İ");
    expect(m.str("lower", "already")).toBe("already");
    expect(m.num("eqIgnoreCase", "Content-Type", "content-type")).toBe(1);
    expect(m.num("eqIgnoreCase", "Ä", "ä")).toBe(0);
    expect(m.num("eqIgnoreCase", "a", "ab")).toBe(0);
  });

  it("trims OWS, recognises tokens and splits with a bound", () => {
    expect(m.str("trim", " \t a b \t")).toBe("a b");
    expect(m.str("trim", "\n a")).toBe("\n a");
    expect(m.num("token", "k8s.namespace.name")).toBe(1);
    expect(m.num("token", "")).toBe(0);
    expect(m.num("token", "a b")).toBe(0);
    const tchars = "!#$%&'*+-.^_`|~";
    for (let c = 0; c < 128; c++) {
      const ch = String.fromCharCode(c);
      expect(m.num("tokenChar", c), ch).toBe(/[A-Za-z0-9]/.test(ch) || tchars.includes(ch) ? 1 : 0);
    }
    expect(m.str("split", "a,b,,c", 4)).toBe("a|b||c#4");
    expect(m.str("split", "a,b,,c", 3)).toBe(NULL);
    expect(m.str("split", "", 1)).toBe("#1");
  });

  it("builds strings in linear time with code points beyond the BMP", () => {
    expect(m.str("build", "abc", 3, 0x1f600)).toBe("abcabcabc😀bc-42#16");
    expect(m.str("build", "abc", 0, 0x110000)).toBe("\ufffdbc-42#6");
    const big = m.str("build", "x".repeat(1000), 200, 0x41);
    expect(big.length).toBe(200_000 + 1 + 2 + 3 + "#200006".length);
  });
});
