import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadAsModule, type AsModule } from "./harness.ts";

let m: AsModule;
beforeAll(async () => {
  m = await loadAsModule("json");
});

describe("lib/json parseJson", () => {
  it("parses every JSON type and serializes members in document order", () => {
    expect(m.str("parse", ' { "b" : [1, -2.5, true, false, null, "x"], "a": {}, "c": [] } ')).toBe(
      'ok:{"b":[1,-2.5,true,false,null,"x"],"a":{},"c":[]}',
    );
    expect(m.str("parse", "0")).toBe("ok:0");
    expect(m.str("parse", '"only a string"')).toBe('ok:"only a string"');
  });

  it("decodes every escape, including surrogate pairs", () => {
    expect(m.str("stringValue", String.raw`"\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC"`)).toBe('"\\/\b\f\n\r\tAé€');
    expect(m.str("stringValue", String.raw`"\ud83d\ude00 smile"`)).toBe("\u{1F600} smile");
    expect(m.str("stringValue", '"raw 😀 and ü"')).toBe("raw 😀 and ü");
  });

  it("rejects unpaired surrogate escapes and bad escapes with the offset", () => {
    expect(m.str("parse", String.raw`{"k": "\ud83d"}`)).toBe("err:$.k: unpaired surrogate in \\u escape (offset 7)");
    expect(m.str("parse", String.raw`["\ude00"]`)).toMatch(/^err:\$\[0\]: unpaired surrogate/);
    expect(m.str("parse", String.raw`["\ud83d\u0041"]`)).toMatch(/^err:\$\[0\]: unpaired surrogate/);
    expect(m.str("parse", String.raw`["\x"]`)).toMatch(/^err:\$\[0\]: invalid escape \\x/);
    expect(m.str("parse", String.raw`["\u12G4"]`)).toMatch(/^err:\$\[0\]: invalid \\u escape/);
    expect(m.str("parse", '["tab\there"]')).toMatch(/^err:\$\[0\]: control character U\+0009 in string/);
  });

  it("reports the JSON path of the offending value", () => {
    expect(m.str("parse", '{"workloads": [{}, {}, {"addresses": [1, }]}')).toBe(
      "err:$.workloads[2].addresses[1]: unexpected character '}', expected a value (offset 41)",
    );
    expect(m.str("parse", '{"odd key": [tru]}')).toBe(`err:$["odd key"][0]: unexpected character 't', expected a value (offset 13)`);
    expect(m.str("parse", '{"a": 1 "b": 2}')).toBe("err:$.a: expected ',' or '}' (offset 8)");
    expect(m.str("parse", '{"a": 1, "a": 2}')).toBe("err:$.a: duplicate member name (offset 12)");
    expect(m.str("parse", "[1, 2")).toBe("err:$[1]: unexpected end of input, expected ',' or ']' (offset 5)");
    expect(m.str("parse", "")).toBe("err:$: unexpected end of input, expected a value (offset 0)");
    expect(m.str("parse", "{} x")).toBe("err:$: unexpected character after the document (offset 3)");
    expect(m.str("parse", "{1:2}")).toBe("err:$: expected a member name string (offset 1)");
  });

  it("validates number syntax and keeps integers exact", () => {
    expect(m.str("number", "42")).toBe("integer|42");
    expect(m.str("number", "-0")).toBe("integer|0");
    expect(m.str("number", "9223372036854775807")).toBe("integer|9223372036854775807");
    expect(m.str("number", "-9007199254740993")).toBe("integer|-9007199254740993");
    expect(m.str("number", "1e3")).toBe("integer|1000");
    expect(m.str("number", "2.50")).toBe("float|2.5");
    expect(m.str("number", "1.5e-3")).toBe("float|0.0015");
    expect(m.str("number", "92233720368547758070")).toMatch(/^float\|/);
    for (const bad of ["01", "+1", "1.", ".5", "1e", "1e+", "-", "0x10", "NaN", "Infinity", "1e400"]) {
      expect(m.str("parse", bad), bad).toMatch(/^err:\$: /);
    }
  });

  it("converts numbers to the nearest f64 like JavaScript does", () => {
    for (const text of ["1.2345678901234567e39", "-1.0832550925309592e+39", "0.1", "5e-324", "2.4703282292062328e-324",
      "2.4703282292062327e-324", "1.7976931348623157e308", "2.2250738585072011e-308", "9007199254740993",
      "123456789012345678901234567890", "4.9406564584124654e-324", "1e-400", "0.000000000000000000000000000001",
      "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791"]) {
      expect(Object.is(m.num("numberValue", text), Number(text)), text).toBe(true);
    }
  });

  it("converts random decimal literals exactly like Number() (property)", () => {
    const literal = fc.tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9][0-9]{0,24})$/), fc.option(fc.stringMatching(/^[0-9]{1,24}$/)),
      fc.option(fc.integer({ min: -360, max: 330 }))).map(([neg, int, frac, exp]) =>
      `${neg ? "-" : ""}${int}${frac === null ? "" : "." + frac}${exp === null ? "" : "e" + exp}`);
    fc.assert(
      fc.property(literal, (text) => {
        const expected = Number(text);
        if (!Number.isFinite(expected)) return;
        expect(Object.is(m.num("numberValue", text), expected)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("limits nesting depth instead of exhausting the stack", () => {
    expect(m.str("parse", "[".repeat(64) + "]".repeat(64))).toMatch(/^ok:/);
    expect(m.str("parse", "[".repeat(65) + "]".repeat(65))).toMatch(/^err:.*nesting deeper than 64 levels/);
    expect(m.str("parse", "[".repeat(100000))).toMatch(/^err:.*nesting deeper than 64 levels/);
    expect(m.str("parseDepth", '{"a":{"b":1}}', 2)).toMatch(/^ok:/);
    expect(m.str("parseDepth", '{"a":{"b":{}}}', 2)).toBe("err:$.a.b: nesting deeper than 2 levels (offset 10)");
  });

  it("decodes UTF-8 configuration bytes strictly", () => {
    expect(m.str("parseBytes", new TextEncoder().encode('{"n":"zürich"}'))).toBe('ok:{"n":"zürich"}');
    expect(m.str("parseBytes", new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]))).toBe("err:$: document is not valid UTF-8 (offset 0)");
  });

  it("looks members up in small and large objects", () => {
    expect(m.str("objectKeys", '{"z":1,"a":2}', "a")).toBe("z,a|2|1");
    const big = "{" + Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(",") + "}";
    expect(m.str("objectKeys", big, "k33")).toBe(Array.from({ length: 40 }, (_, i) => `k${i}`).join(",") + "|33|33");
    expect(m.str("objectKeys", big, "nope")).toMatch(/\|absent\|-1$/);
    expect(m.str("parse", "{" + Array.from({ length: 20 }, () => '"dup":1').join(",") + "}")).toMatch(/duplicate member name/);
  });

  it("quotes strings and builds trees in code", () => {
    expect(m.str("quote", 'a"b\\c\n\u0001\ud800')).toBe('"a\\"b\\\\c\\n\\u0001\\ud800"');
    expect(m.str("built")).toBe('{"a":"x\\"y","b":[true,null],"c":1.5,"d":"s"}|0|0');
  });

  it("agrees with JSON.parse on valid documents (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        const out = m.str("parse", text);
        expect(out.startsWith("ok:")).toBe(true);
        // Re-parse our serialization with JSON.parse: same value (numbers compared as JS does).
        expect(JSON.parse(out.slice(3))).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it("never traps on arbitrary text and is deterministic (property)", () => {
    const jsonish = fc.string({ unit: fc.constantFrom(..."{}[]\":,.-+0123456789eEtrufalsn\\u \t\nabcd\ud800\udc00😀"), maxLength: 200 });
    fc.assert(
      fc.property(fc.oneof(jsonish, fc.string({ maxLength: 200, unit: "binary" })), (text) => {
        const first = m.str("parse", text);
        expect(first).toBe(m.str("parse", text));
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        // Where JSON.parse accepts, we accept too (except our stricter rules: duplicates, lone surrogates, depth).
        if (!valid) expect(first.startsWith("err:")).toBe(true);
      }),
      { numRuns: 1500 },
    );
    expect(m.logs).toEqual([]);
  });

  it("never traps on random bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const out = m.str("parseBytes", bytes);
        expect(out.startsWith("ok:") || out.startsWith("err:")).toBe(true);
      }),
      { numRuns: 1000 },
    );
    expect(m.logs).toEqual([]);
  });
});

describe("lib/config-reader", () => {
  it("reads a valid configuration with defaults", () => {
    expect(m.str("readConfig", '{"name":"x","workloads":[{"name":"w","addresses":["10.0.0.1","::1"],"labels":{"app":"a"}}]}', false)).toBe(
      "ok:x;15008;quiet;a;w=10.0.0.1+::1#1@1",
    );
    expect(m.str("readConfig", '{"port":80,"debug":true,"mode":"b","name":null}', false)).toBe("ok:default;80;debug;b");
  });

  it("treats empty text as {} only when allowed", () => {
    expect(m.str("readConfig", " \n", true)).toBe("ok:default;15008;quiet;a");
    expect(m.str("readConfig", "", false)).toBe("err:$: unexpected end of input, expected a value (offset 0)");
    expect(m.str("readConfig", "[]", false)).toBe("err:$: expected object, got array");
  });

  it("names the JSON path of every bad field", () => {
    const text = JSON.stringify({
      port: 70000,
      debug: "yes",
      mode: "c",
      workloads: [
        { name: "ok", addresses: ["a"] },
        { addresses: [] },
        { name: "w", addresses: ["x", 7], labels: { app: 1 }, weight: 1.5, extra: { flag: 1, more: true }, typo: 1 },
        "nope",
      ],
      unknownTop: {},
    });
    expect(m.str("readConfig", text, false).split("; ")).toEqual([
      "err:$.port: must be between 1 and 65535 (got 70000)",
      "$.debug: expected boolean, got string",
      '$.mode: must be one of a, b (got "c")',
      "$.workloads[1].name: required field is missing",
      "$.workloads[1].addresses: expected at least 1 element",
      "$.workloads[2].addresses[1]: expected string, got number",
      "$.workloads[2].labels.app: expected string, got number",
      "$.workloads[2].weight: expected integer, got 1.5",
      "$.workloads[2].extra.flag: expected boolean, got number",
      "$.workloads[2].typo: unknown field",
      "$.workloads[2].extra.more: unknown field",
      "$.workloads[3]: expected object, got string",
      "$.workloads[3].name: required field is missing",
      "$.workloads[3].addresses: required field is missing",
      "$.unknownTop: unknown field",
    ]);
  });

  it("gives the first error as the log line", () => {
    expect(m.str("firstConfigError", '{"listener":{"ports":["80"]}}')).toBe("$.listener.ports[0]: expected integer, got string");
    expect(m.str("firstConfigError", '{"listener":{"ports":[]}}')).toBe("$.listener.ports: expected at least 1 element");
    expect(m.str("firstConfigError", "{}")).toBe("$.listener: required field is missing");
    expect(m.str("firstConfigError", '{"listener":{"ports":[0]}}')).toBe("$.listener.ports[0]: must be between 1 and 65535 (got 0)");
  });

  it("never traps on arbitrary configurations (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 100 })), fc.boolean(), (text, allowEmpty) => {
        const out = m.str("readConfig", text, allowEmpty);
        expect(out.startsWith("ok:") || out.startsWith("err:")).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
