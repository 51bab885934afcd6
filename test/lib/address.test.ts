import fc from "fast-check";
import { isIP } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { NULL, loadAsModule, type AsModule } from "./harness.ts";

let m: AsModule;
beforeAll(async () => {
  m = await loadAsModule("address");
});

describe("lib/address IPv4", () => {
  it("parses dotted quads strictly", () => {
    expect(m.str("ip", "10.0.0.1")).toBe("10.0.0.1");
    expect(m.str("ip", "255.255.255.255")).toBe("255.255.255.255");
    expect(m.str("ip", "0.0.0.0")).toBe("0.0.0.0");
    for (const bad of ["010.0.0.1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-4", " 1.2.3.4", "1.2.3.4 ", "1..3.4", "1.2.3.4/8",
      "0x1.2.3.4", "1.2.3.4:80", "", "1234.1.1.1", "１.2.3.4"]) {
      expect(m.str("ip", bad), bad).toBe(NULL);
    }
  });
});

describe("lib/address IPv6", () => {
  it("formats to RFC 5952 canonical text", () => {
    const cases: [string, string][] = [
      ["::", "::"],
      ["::1", "::1"],
      ["0:0:0:0:0:0:0:1", "::1"],
      ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
      ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"], // first of two equal runs
      ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group is not shortened
      ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // the longest run wins
      ["1::", "1::"],
      ["fe80::", "fe80::"],
      ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
      ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
      ["FFFF:ffff:FfFf:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
      ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
      ["::FFFF:0102:0304", "::ffff:1.2.3.4"],
      ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
      ["::1.2.3.4", "::102:304"],
    ];
    for (const [input, canonical] of cases) expect(m.str("ip", input), input).toBe(canonical);
  });

  it("rejects malformed text, zone ids and brackets", () => {
    for (const bad of [":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", ":1::", "1::2:", "12345::",
      "g::1", "fe80::1%eth0", "fe80::1%25eth0", "[::1]", "::1.2.3", "::1.2.3.4.5", "1.2.3.4::", "::ffff:01.2.3.4",
      "1:2:3:4:5:6:7:1.2.3.4", "::ffff:1.2.3.4:5", " ::1", "::1 ", "1:2:3:4:5:6:7:8::", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255x"]) {
      expect(m.str("ipv6", bad), bad).toBe(NULL);
    }
  });

  it("knows v4-mapped, loopback and unspecified addresses", () => {
    expect(m.str("info", "::ffff:10.1.2.3")).toBe("v6|mapped|-|-|10.1.2.3|::ffff:10.1.2.3");
    expect(m.str("info", "10.1.2.3")).toBe("v4|-|-|-|10.1.2.3|::ffff:10.1.2.3");
    expect(m.str("info", "::1")).toBe("v6|-|loopback|-|::1|::1");
    expect(m.str("info", "127.0.0.2")).toBe("v4|-|loopback|-|127.0.0.2|::ffff:127.0.0.2");
    expect(m.str("info", "::")).toBe("v6|-|-|unspecified|::|::");
    expect(m.num("equal", "10.0.0.1", "::ffff:10.0.0.1")).toBe(0);
    expect(m.num("equal", "2001:db8::1", "2001:DB8:0::0:1")).toBe(1);
  });

  it("formats like WHATWG URL serialization for non-mapped addresses (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(8), fc.nat(8), (bytes, zeroFrom, zeroLength) => {
        for (let i = zeroFrom * 2; i < Math.min(16, (zeroFrom + zeroLength) * 2); i++) bytes[i] = 0; // make zero runs common
        const ours = m.str("formatBytes", bytes);
        const isMapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
        if (!isMapped) expect(ours).toBe(new URL(`http://[${ours}]/`).hostname.slice(1, -1));
        // parse ∘ format is the identity on bytes
        const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
        expect(m.str("bytesOf", ours)).toBe(hex);
        expect(m.str("ip", ours)).toBe(ours);
      }),
      { numRuns: 1000 },
    );
  });

  it("parses every spelling Node accepts to the same bytes (property)", () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((g) => g.toString(16));
    const spelled = fc.tuple(fc.array(group, { minLength: 8, maxLength: 8 }), fc.nat(8), fc.nat(8), fc.boolean()).map(([groups, at, len, upper]) => {
      let text = groups.join(":");
      if (len >= 1) {
        const end = Math.min(8, at + len);
        text = groups.slice(0, Math.min(at, end)).join(":") + "::" + groups.slice(end).join(":");
      }
      return upper ? text.toUpperCase() : text;
    });
    fc.assert(
      fc.property(spelled, (text) => {
        const ours = m.str("ip", text);
        expect(ours === NULL).toBe(isIP(text) !== 6);
      }),
      { numRuns: 1000 },
    );
  });

  it("never traps on arbitrary text (property)", () => {
    const ipish = fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF:.%[]/ -x"), maxLength: 60 });
    fc.assert(
      fc.property(fc.oneof(ipish, fc.string({ maxLength: 60 })), (text) => {
        const out = m.str("ip", text);
        if (out !== NULL) expect(m.str("ip", out)).toBe(out); // canonical text is a fixed point
        if (out !== NULL) expect(isIP(text)).not.toBe(0); // never accept what Node rejects
        if (text.includes("%") || text.includes("[")) expect(out).toBe(NULL);
        m.str("sock", text);
        m.str("hostPort", text, true);
        m.str("cidr", text);
      }),
      { numRuns: 2000 },
    );
    expect(m.logs).toEqual([]);
  });
});

describe("lib/address socket addresses and authorities", () => {
  it("parses and formats ip:port as Envoy writes source.address", () => {
    expect(m.str("sock", "10.0.0.1:4567")).toBe("10.0.0.1:4567|4567");
    expect(m.str("sock", "[::1]:80")).toBe("[::1]:80|80");
    expect(m.str("sock", "[2001:DB8::0001]:0")).toBe("[2001:db8::1]:0|0");
    expect(m.str("sock", "[::ffff:10.0.0.1]:15008")).toBe("[::ffff:10.0.0.1]:15008|15008");
    for (const bad of ["10.0.0.1", "10.0.0.1:", "10.0.0.1:65536", "10.0.0.1:-1", "10.0.0.1:+80", "::1:80", "[::1]", "[::1]80",
      "[10.0.0.1]:80", "[fe80::1%eth0]:80", "host:80", "[::1]:80x", "10.0.0.1:080808"]) {
      expect(m.str("sock", bad), bad).toBe(NULL);
    }
    expect(m.str("formatSock", "2001:db8::1", 443)).toBe("[2001:db8::1]:443");
    expect(m.str("formatSock", "10.1.1.1", 8080)).toBe("10.1.1.1:8080");
  });

  it("validates ports", () => {
    expect(m.num("port", "0")).toBe(0);
    expect(m.num("port", "65535")).toBe(65535);
    expect(m.num("port", "08080")).toBe(8080);
    for (const bad of ["", "65536", "-1", "+1", "1 ", "0x10", "123456"]) expect(m.num("port", bad), bad).toBe(-1);
  });

  it("parses HBONE :authority values with IP or DNS hosts", () => {
    expect(m.str("hostPort", "10.0.0.5:8080", true)).toBe("10.0.0.5:8080|10.0.0.5|ip|8080");
    expect(m.str("hostPort", "[2001:db8::5]:8080", true)).toBe("[2001:db8::5]:8080|2001:db8::5|ip|8080");
    expect(m.str("hostPort", "echo.default.svc.cluster.local:80", true)).toBe("echo.default.svc.cluster.local:80|echo.default.svc.cluster.local|dns|80");
    expect(m.str("hostPort", "Example.COM.:443", true)).toBe("Example.COM.:443|Example.COM.|dns|443");
    expect(m.str("hostPort", "example.com", false)).toBe("example.com|example.com|dns|-1");
    expect(m.str("hostPort", "[::1]", false)).toBe("[::1]|::1|ip|-1");
    for (const bad of ["example.com", "[::1]", ":80", "a..b:80", ".a:80", "a b:80", "a/b:80", "1.2.3:80", "010.1.1.1:80", "::1:80",
      "a:b:80", "x".repeat(64) + ".com:80", "a@b:80", "[::1]x", "."]) {
      expect(m.str("hostPort", bad, true), bad).toBe(NULL);
    }
  });
});

describe("lib/cidr", () => {
  it("parses ranges, bare addresses and clears host bits", () => {
    expect(m.str("cidr", "10.0.0.0/8")).toBe("10.0.0.0/8");
    expect(m.str("cidr", "10.1.2.3/8")).toBe("10.0.0.0/8");
    expect(m.str("cidr", "10.1.2.3")).toBe("10.1.2.3/32");
    expect(m.str("cidr", "192.168.1.255/23")).toBe("192.168.0.0/23");
    expect(m.str("cidr", "0.0.0.0/0")).toBe("0.0.0.0/0");
    expect(m.str("cidr", "2001:DB8::1/32")).toBe("2001:db8::/32");
    expect(m.str("cidr", "::1")).toBe("::1/128");
    expect(m.str("cidr", "2001:db8::ff/121")).toBe("2001:db8::80/121");
    for (const bad of ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/-1", "10.0.0.0/8/8", "/8", "10.0.0/8", "fe80::/10%eth0", "10.0.0.0/ 8"]) {
      expect(m.str("cidr", bad), bad).toBe(NULL);
    }
  });

  it("tests membership per family, as Envoy's CidrRange does", () => {
    expect(m.num("contains", "10.0.0.0/8", "10.255.1.1")).toBe(1);
    expect(m.num("contains", "10.0.0.0/8", "11.0.0.0")).toBe(0);
    expect(m.num("contains", "10.0.0.0/8", "::ffff:10.0.0.1")).toBe(0);
    expect(m.num("contains", "0.0.0.0/0", "1.2.3.4")).toBe(1);
    expect(m.num("contains", "0.0.0.0/0", "::1")).toBe(0);
    expect(m.num("contains", "::/0", "::ffff:1.2.3.4")).toBe(1);
    expect(m.num("contains", "192.168.0.0/23", "192.168.1.7")).toBe(1);
    expect(m.num("contains", "192.168.0.0/23", "192.168.2.7")).toBe(0);
    expect(m.num("contains", "2001:db8::/33", "2001:db8:7fff::1")).toBe(1);
    expect(m.num("contains", "2001:db8::/33", "2001:db8:8000::1")).toBe(0);
    expect(m.num("contains", "10.1.2.3", "10.1.2.3")).toBe(1);
    expect(m.num("contains", "10.1.2.3", "10.1.2.4")).toBe(0);
  });

  it("agrees with a bit-level reference (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }), (a, b, len) => {
        const toInt = (x: Uint8Array) => ((x[0] << 24) | (x[1] << 16) | (x[2] << 8) | x[3]) >>> 0;
        const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
        const expected = ((toInt(a) & mask) >>> 0) === ((toInt(b) & mask) >>> 0) ? 1 : 0;
        expect(m.num("contains", `${a.join(".")}/${len}`, b.join("."))).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});
