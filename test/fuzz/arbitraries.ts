// fast-check generators for hostile traffic and configurations: header names and values (binary bytes, huge
// values, duplicates), baggage, forwarded, :authority, addresses (IPv4, IPv6 in many spellings, garbage) and
// SPIFFE identities. Each mixes well-formed values (so the filters' accept paths run) with near misses and junk.
import fc from "fast-check";
import type { HeaderList } from "../../emulator/index.ts";

/** Any byte 0..255 as a string code unit (the emulator encodes the string as UTF-8). */
export const binaryString = (maxLength: number) =>
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength }).map((codes) => String.fromCharCode(...codes));

/**
 * Envoy's default limit on a request's headers (HCM max_request_headers_kb = 60): the codec rejects bigger header
 * blocks before any filter runs, so generated header lists stay within it.
 */
export const ENVOY_MAX_HEADERS_BYTES = 60 * 1024;

/** Long repetitions of a piece, up to Envoy's whole header budget. */
export const huge = (piece: fc.Arbitrary<string>) =>
  fc.tuple(piece, fc.integer({ min: 1_000, max: ENVOY_MAX_HEADERS_BYTES - 1024 })).map(([p, n]) => (p.length ? p.repeat(Math.ceil(n / p.length)).slice(0, n) : "x".repeat(n)));

export const anyText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: binaryString(40) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 1, arbitrary: huge(fc.string({ minLength: 1, maxLength: 8 })) },
);

// ---- addresses ------------------------------------------------------------------------------------------------

const octet = fc.integer({ min: 0, max: 255 });
export const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));
const hextet = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));

/** IPv6 in full, compressed, upper-case, v4-mapped and zone-id spellings. */
export const ipv6 = fc.oneof(
  fc.array(hextet, { minLength: 8, maxLength: 8 }).map((h) => h.join(":")),
  fc.tuple(fc.array(hextet, { maxLength: 3 }), fc.array(hextet, { maxLength: 3 })).map(([a, b]) => `${a.join(":")}::${b.join(":")}`),
  fc.array(hextet, { minLength: 8, maxLength: 8 }).map((h) => h.join(":").toUpperCase()),
  ipv4.map((v4) => `::ffff:${v4}`),
  fc.tuple(hextet, fc.constantFrom("eth0", "1", "%25")).map(([h, z]) => `fe80::${h}%${z}`),
);

const malformedIp = fc.constantFrom(
  "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "::::", "1:2:3:4:5:6:7:8:9", "[::1", "::1]", "[]",
  "1.2.3.-1", "0x7f.0.0.1", "1e3.0.0.1", " 10.0.0.1", "10.0.0.1 ", "10.0.0.1\u0000", "ffff::fffff", "::g",
);

export const ipText = (known: string[] = []) =>
  fc.oneof(
    { weight: 3, arbitrary: known.length ? fc.constantFrom(...known) : ipv4 },
    { weight: 2, arbitrary: ipv4 },
    { weight: 2, arbitrary: ipv6 },
    { weight: 2, arbitrary: malformedIp },
    { weight: 1, arbitrary: anyText },
  );

export const portText = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 65535 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom("0", "65536", "99999999999", "-1", "+80", "080", "", "80a", "8 0", "1e2") },
  { weight: 1, arbitrary: anyText },
);

/** "ip:port" with IPv6 bracketed (or not), or junk. */
export const socketAddress = (knownIps: string[] = [], knownPorts: number[] = []) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.tuple(ipText(knownIps), knownPorts.length ? fc.oneof(fc.constantFrom(...knownPorts.map(String)), portText) : portText)
      .map(([ip, port]) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`)) },
    { weight: 1, arbitrary: fc.tuple(ipv6, portText).map(([ip, port]) => `${ip}:${port}`) },
    { weight: 1, arbitrary: ipText(knownIps) },
    { weight: 1, arbitrary: anyText },
  );

// ---- identities ---------------------------------------------------------------------------------------------

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
export const spiffeId = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom("cluster.local", "other.td"), label, label).map(([td, ns, sa]) => `spiffe://${td}/ns/${ns}/sa/${sa}`) },
  { weight: 2, arbitrary: fc.constantFrom(
    "spiffe://cluster.local/ns/default/sa/sleep", "spiffe://cluster.local/ns/foo/sa/sleep", "spiffe://cluster.local/ns/bar/sa/client",
    "spiffe://cluster.local/ns/untrusted/sa/x", "spiffe://cluster.local/ns//sa/", "spiffe://", "spiffe://cluster.local/ns/a/sa/b/extra",
    "https://example.com/ns/foo/sa/sleep", "spiffe://cluster.local/sa/x/ns/y") },
  { weight: 1, arbitrary: anyText.map((t) => `spiffe://cluster.local/ns/${t}/sa/${t}`) },
  { weight: 1, arbitrary: anyText },
);

// ---- header values ------------------------------------------------------------------------------------------

const baggageKey = fc.oneof(
  fc.constantFrom("k8s.namespace.name", "k8s.deployment.name", "k8s.pod.name", "k8s.cluster.name", "service.name",
    "service.version", "k8s.cronjob.name", "k8s.job.name", "app.name", "k8s.namespace.name "),
  fc.stringMatching(/^[a-zA-Z0-9!#$&'*+.^_`|~-]{1,12}$/),
  anyText,
);
const baggageValue = fc.oneof(
  { weight: 4, arbitrary: label },
  { weight: 1, arbitrary: fc.constantFrom("%3D", "%2C", "%3B", "%", "%zz", "%E2%82%AC", "a%00b", '"q"', " padded ", "") },
  { weight: 1, arbitrary: anyText },
);
const baggageMember = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(baggageKey, baggageValue, fc.option(fc.constantFrom(";prop", ";p=1", ";;"), { nil: "" }))
    .map(([k, v, p]) => `${k}=${v}${p}`) },
  { weight: 1, arbitrary: anyText },
);

/** W3C baggage: Istio's members, malformed members, over-long headers, more than 64 members. */
export const baggage = fc.oneof(
  { weight: 6, arbitrary: fc.array(baggageMember, { maxLength: 8 }).map((m) => m.join(",")) },
  { weight: 1, arbitrary: fc.array(baggageMember, { minLength: 60, maxLength: 80 }).map((m) => m.join(",")) },
  { weight: 1, arbitrary: fc.tuple(baggageMember, fc.integer({ min: 8000, max: 20000 })).map(([m, n]) => `${m},${"k=v,".repeat(Math.ceil(n / 4))}`.slice(0, n)) },
  { weight: 1, arbitrary: fc.array(baggageMember, { maxLength: 8 }).map((m) => m.join(" , ")) },
  { weight: 1, arbitrary: anyText },
);

const forwardedPair = fc.oneof(
  fc.tuple(fc.constantFrom("for", "host", "by", "proto", "For", "HOST"), fc.oneof(
    socketAddress().map((a) => `"${a}"`), socketAddress(), label.map((h) => `${h}.default.svc.cluster.local`), anyText,
  )).map(([k, v]) => `${k}=${v}`),
  anyText,
);

/** RFC 7239 forwarded: elements, pairs, quoting, duplicates and junk. */
export const forwarded = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.array(forwardedPair, { minLength: 1, maxLength: 4 }).map((p) => p.join(";")), { minLength: 1, maxLength: 4 }).map((e) => e.join(", ")) },
  { weight: 1, arbitrary: fc.constantFrom('for="10.0.0.10:1";host=httpbin.default.svc.cluster.local', 'for=";host=', 'host="unterminated', "for=a;for=b", ";;;,,,", 'for="\\"escaped\\""') },
  { weight: 1, arbitrary: huge(fc.constant("for=1.2.3.4,")) },
  { weight: 1, arbitrary: anyText },
);

/** :authority values: ip:port, [v6]:port, hostname:port, no port, junk, huge. */
export const authority = (knownIps: string[] = [], knownHosts: string[] = []) =>
  fc.oneof(
    { weight: 5, arbitrary: socketAddress(knownIps) },
    { weight: 3, arbitrary: fc.tuple(knownHosts.length ? fc.constantFrom(...knownHosts) : label, fc.option(portText, { nil: undefined }))
      .map(([h, p]) => (p === undefined ? h : `${h}:${p}`)) },
    { weight: 1, arbitrary: fc.tuple(knownHosts.length ? fc.constantFrom(...knownHosts) : label).map(([h]) => h.toUpperCase() + ":8000") },
    { weight: 1, arbitrary: huge(fc.constant("a")).map((h) => `${h}:80`) },
    { weight: 1, arbitrary: anyText },
  );

/**
 * An upstream `:status`: Envoy's codecs only pass three-digit codes (HTTP/1 status line, HTTP/2 `:status`), so
 * filters never see anything else.
 */
export const responseStatus = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("200", "204", "301", "401", "403", "404", "500", "503", "504") },
  { weight: 2, arbitrary: fc.integer({ min: 100, max: 999 }).map(String) },
);

export const headerName = fc.oneof(
  fc.constantFrom("baggage", "forwarded", "x-forwarded-for", "x-envoy-original-dst-host", "x-envoy-peer-metadata",
    "x-envoy-peer-metadata-id", "traceparent", "content-type", "host", "x-forwarded-client-cert", "grpc-status",
    "user-agent", "proxy-authorization", "x-request-id", ":path", ":method", ":authority"),
  fc.stringMatching(/^[a-z0-9-]{1,20}$/),
  anyText.filter((s) => s.length > 0),
);

/** Extra request headers: forged mesh headers, duplicates, binary and huge values. */
export const extraHeaders: fc.Arbitrary<HeaderList> = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.tuple(headerName, anyText), { maxLength: 6 }) },
  { weight: 2, arbitrary: fc.tuple(headerName, anyText, fc.integer({ min: 2, max: 40 })).map(([n, v, k]) => Array.from({ length: k }, () => [n, v] as [string, string])) },
  { weight: 1, arbitrary: fc.array(fc.tuple(headerName, anyText), { minLength: 50, maxLength: 120 }) },
);

/**
 * A header list made of the given optional entries (undefined = absent) plus extra headers, cut at Envoy's
 * header budget (extra headers that would pass it are dropped, then over-long values shortened).
 */
export function headerList(entries: Array<[string, string | undefined]>, extra: HeaderList): HeaderList {
  const out: HeaderList = [];
  let budget = ENVOY_MAX_HEADERS_BYTES;
  const push = (k: string, v: string, always: boolean) => {
    const size = Buffer.byteLength(k) + Buffer.byteLength(v);
    if (size <= budget) { out.push([k, v]); budget -= size; return; }
    if (!always) return;
    const cut = v.slice(0, Math.max(0, budget - Buffer.byteLength(k)) >> 2); // ≤ 4 UTF-8 bytes per code unit
    out.push([k, cut]);
    budget -= Buffer.byteLength(k) + Buffer.byteLength(cut);
  };
  for (const [k, v] of entries) if (v !== undefined) push(k, v, true);
  for (const [k, v] of extra) push(k, v, false);
  return out;
}

// ---- configurations -------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Paths to every value inside a JSON document. */
function paths(v: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function setAt(doc: Json, path: Array<string | number>, value: Json | undefined): Json {
  if (path.length === 0) return value === undefined ? null : value;
  const copy: any = Array.isArray(doc) ? [...doc] : { ...(doc as object) };
  const [head, ...rest] = path;
  if (rest.length === 0) {
    if (value === undefined) {
      if (Array.isArray(copy)) copy.splice(head as number, 1); else delete copy[head];
    } else copy[head] = value;
    return copy;
  }
  copy[head] = setAt(copy[head], rest, value);
  return copy;
}

const edgeValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 65535, 65536, 2 ** 53, -(2 ** 31), "", " ", "*", "x".repeat(300), [], {}, [[]], { "": "" }),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  anyText,
);

type Mutation = { path: number; op: "delete" | "replace" | "addKey" | "wrap" | "duplicate"; value: Json; key: string };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  path: fc.nat(),
  op: fc.constantFrom("delete", "replace", "replace", "addKey", "wrap", "duplicate"),
  value: edgeValue,
  key: fc.oneof(fc.constantFrom("name", "port", "addresses", "rules", "spec", "unknownField"), fc.string({ maxLength: 8 })),
});

function applyMutation(doc: Json, m: Mutation): Json {
  const all = paths(doc);
  const path = all[m.path % all.length];
  const current = path.reduce<any>((v, k) => (v == null ? v : v[k]), doc);
  switch (m.op) {
    case "delete": return path.length ? setAt(doc, path, undefined) : doc;
    case "replace": return setAt(doc, path, m.value);
    case "addKey": return current && typeof current === "object" && !Array.isArray(current) ? setAt(doc, [...path, m.key], m.value) : setAt(doc, path, m.value);
    case "wrap": return setAt(doc, path, [current]);
    case "duplicate": return Array.isArray(current) ? setAt(doc, path, [...current, ...current]) : setAt(doc, path, { value: current });
  }
}

/** Valid-shaped configurations: the base document with 1..4 mutations (deleted, replaced, added, wrapped values). */
export const mutatedConfig = (base: unknown) =>
  fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => JSON.stringify(ms.reduce<Json>(applyMutation, base as Json)));

/** Garbage: random JSON, random text and bytes, truncated and deeply nested documents. */
export const garbageConfig = (base: unknown) => {
  const text = JSON.stringify(base);
  return fc.oneof(
    fc.json({ maxDepth: 4 }),
    fc.string({ maxLength: 200 }),
    binaryString(200),
    fc.nat({ max: text.length }).map((n) => text.slice(0, n)),
    fc.tuple(fc.nat({ max: text.length }), fc.string({ maxLength: 3 })).map(([n, s]) => text.slice(0, n) + s + text.slice(n)),
    fc.integer({ min: 100, max: 100_000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
    fc.integer({ min: 100, max: 100_000 }).map((n) => '{"a":'.repeat(n) + "1" + "}".repeat(n)),
    fc.constantFrom("", "null", "[]", "{}", "\"\"", "0", "{\"workloads\":null}", "\ufeff{}", "{\"a\":1,\"a\":2}", "{\"x\":1e999}", "{\"x\":-0}"),
  );
};

export const anyConfig = (base: unknown) =>
  fc.oneof({ weight: 3, arbitrary: mutatedConfig(base) }, { weight: 1, arbitrary: garbageConfig(base) });
