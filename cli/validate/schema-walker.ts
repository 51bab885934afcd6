// Walks a JSON config against the Envoy API descriptors and reports every schema problem with its JSON path:
// what protobuf's JSON parser would reject (unknown fields, wrong types, ranges, enum names, well-known type forms,
// Any `@type`s, oneof conflicts), plus TypedStruct payloads, the PGV rules, and deprecated fields.
import { ScalarType, type DescEnum, type DescField, type DescMessage, type DescOneof } from "@bufbuild/protobuf";
import type { EnvoySchema } from "./descriptors.ts";
import type { Report } from "../common/diagnostics.ts";
import { describe, parseDuration, parseScalar, parseTimestamp, scalarDefault, valueFormTypes, wrapperScalars } from "./json-values.ts";
import { joinPath, type Position, type SourceMap } from "../common/location.ts";
import { anyViolations, boolViolations, bytesViolations, countViolations, durationViolations, enumViolations, numberViolations, stringViolations } from "./pgv.ts";
import { didYouMean } from "./suggest.ts";
import { substitutionFormatFields, substitutionFormatViolations } from "./substitution-format.ts";
import { TYPE_URL_PREFIX, typedStructTypes } from "./type-url.ts";

/** Where a value sits: its printed path, and the object/array holding it with its key (for the source position). */
export interface Site {
  path: string;
  parent: unknown;
  key: string | number | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

const scalarRuleKind: Record<number, string> = {
  [ScalarType.DOUBLE]: "double", [ScalarType.FLOAT]: "float", [ScalarType.INT64]: "int64", [ScalarType.UINT64]: "uint64",
  [ScalarType.INT32]: "int32", [ScalarType.FIXED64]: "fixed64", [ScalarType.FIXED32]: "fixed32", [ScalarType.BOOL]: "bool",
  [ScalarType.STRING]: "string", [ScalarType.BYTES]: "bytes", [ScalarType.UINT32]: "uint32", [ScalarType.SFIXED32]: "sfixed32",
  [ScalarType.SFIXED64]: "sfixed64", [ScalarType.SINT32]: "sint32", [ScalarType.SINT64]: "sint64",
};

/** What one PGV rule set applies to: a field, or the element/key/value type of a repeated or map field. */
type Target =
  | { kind: "scalar"; scalar: ScalarType }
  | { kind: "enum"; enum: DescEnum }
  | { kind: "message"; message: DescMessage };

export class SchemaWalker {
  private readonly fieldIndexes = new Map<DescMessage, Map<string, DescField>>();
  private messageNames: string[] | undefined;

  constructor(
    private readonly schema: EnvoySchema,
    private readonly report: Report,
    private readonly sourceMap: SourceMap,
  ) {}

  private pos(site: Site, ofKey = false): Position {
    return this.sourceMap.at(site.parent, site.key, ofKey);
  }

  private error(site: Site, message: string, ofKey = false): void {
    this.report.error(site.path, this.pos(site, ofKey), message);
  }

  /** Validate `value` (the whole document) as message `typeName`. */
  walkRoot(typeName: string, value: unknown): void {
    const desc = this.schema.registry.getMessage(typeName);
    if (!desc) throw new Error(`${typeName} is not in the descriptor set`);
    if (!isObject(value)) {
      this.report.error("", { line: 1, col: 1 }, `the document must be a map (a ${typeName}), got ${describe(value)}`);
      return;
    }
    this.message(desc, value, { path: "", parent: undefined, key: undefined });
  }

  private fieldIndex(desc: DescMessage): Map<string, DescField> {
    let index = this.fieldIndexes.get(desc);
    if (!index) {
      index = new Map();
      for (const f of desc.fields) {
        index.set(f.name, f);
        index.set(f.jsonName, f);
      }
      this.fieldIndexes.set(desc, index);
    }
    return index;
  }

  message(desc: DescMessage, value: unknown, site: Site, skipKeys?: Set<string>): void {
    if (value === null || value === undefined) return;
    if (this.wellKnown(desc, value, site)) return;
    if (!isObject(value)) {
      this.error(site, `expected an object (${desc.typeName}), got ${describe(value)}`);
      return;
    }
    const index = this.fieldIndex(desc);
    const given = new Map<DescField, string>();
    const badValue = new Set<DescField>();
    const oneofMembers = new Map<DescOneof, string>();
    for (const key of Object.keys(value)) {
      if (skipKeys?.has(key)) continue;
      const child: Site = { path: joinPath(site.path, key), parent: value, key };
      const field = index.get(key);
      if (!field) {
        this.error(child, `unknown field "${key}" in ${desc.typeName}${didYouMean(key, desc.fields.map((f) => f.name))}`, true);
        continue;
      }
      if (given.has(field)) {
        this.error(child, `field ${field.name} is given twice (as "${given.get(field)}" and "${key}")`, true);
        continue;
      }
      given.set(field, key);
      const v = value[key];
      if (field.oneof && v !== null) {
        const other = oneofMembers.get(field.oneof);
        if (other !== undefined) this.error(child, `"${other}" and "${key}" are both set, but only one field of oneof ${field.oneof.name} may be`, true);
        else oneofMembers.set(field.oneof, key);
      }
      if (!this.field(field, v, child)) badValue.add(field);
      else if (typeof v === "string" && substitutionFormatFields.has(`${desc.typeName}.${field.name}`)) {
        for (const m of substitutionFormatViolations(v)) this.error(child, m);
      }
      this.deprecation(desc, field, v, child);
    }
    if (typedStructTypes.has(desc.typeName)) this.typedStruct(value, site);
    if (this.schema.messageRulesDisabled(desc)) return;
    for (const field of desc.fields) {
      if (badValue.has(field)) continue;
      const rules = this.schema.fieldRules(field);
      if (!rules) continue;
      const key = given.get(field);
      const child: Site = key !== undefined ? { path: joinPath(site.path, key), parent: value, key } : { path: joinPath(site.path, field.name), parent: site.parent, key: site.key };
      this.fieldRules(desc, field, rules, key !== undefined ? value[key] : undefined, child);
    }
    for (const oneof of desc.oneofs) {
      if (!oneofMembers.has(oneof) && this.schema.oneofRequired(oneof)) {
        this.error(site, `one of ${oneof.fields.map((f) => f.name).join(", ")} is required (oneof ${desc.typeName}.${oneof.name}) [PGV validate.required]`);
      }
    }
  }

  /** Type-check one field's JSON value. Returns false when it is malformed (PGV then skips it). */
  private field(field: DescField, v: unknown, site: Site): boolean {
    if (v === null) return true; // null leaves a field unset in proto3 JSON
    switch (field.fieldKind) {
      case "list": {
        if (!Array.isArray(v)) {
          this.error(site, `expected a list for repeated field ${field.name}, got ${describe(v)}`);
          return false;
        }
        let ok = true;
        v.forEach((item, i) => {
          const itemSite: Site = { path: joinPath(site.path, i), parent: v, key: i };
          if (item === null && !(field.listKind === "message" && field.message.typeName === "google.protobuf.Value")) {
            this.error(itemSite, "null is not allowed as a list element");
            ok = false;
          } else if (!this.single(this.listTarget(field), item, itemSite)) ok = false;
        });
        return ok;
      }
      case "map": {
        if (!isObject(v)) {
          this.error(site, `expected a map (object) for field ${field.name}, got ${describe(v)}`);
          return false;
        }
        let ok = true;
        for (const [k, item] of Object.entries(v)) {
          const itemSite: Site = { path: joinPath(site.path, k), parent: v, key: k };
          const keyCheck = field.mapKey === ScalarType.STRING ? { ok: true as const } : field.mapKey === ScalarType.BOOL ? (k === "true" || k === "false" ? { ok: true as const } : { ok: false as const, reason: `expected map key true or false, got "${k}"` }) : parseScalar(k, field.mapKey);
          if (!keyCheck.ok) {
            this.error(itemSite, `bad map key: ${keyCheck.reason}`, true);
            ok = false;
          }
          if (!this.single(this.mapValueTarget(field), item, itemSite)) ok = false;
        }
        return ok;
      }
      case "scalar":
        return this.single({ kind: "scalar", scalar: field.scalar }, v, site);
      case "enum":
        return this.single({ kind: "enum", enum: field.enum }, v, site);
      case "message":
        return this.single({ kind: "message", message: field.message }, v, site);
    }
  }

  private listTarget(field: DescField & { fieldKind: "list" }): Target {
    if (field.listKind === "scalar") return { kind: "scalar", scalar: field.scalar };
    if (field.listKind === "enum") return { kind: "enum", enum: field.enum };
    return { kind: "message", message: field.message };
  }

  private mapValueTarget(field: DescField & { fieldKind: "map" }): Target {
    if (field.mapKind === "scalar") return { kind: "scalar", scalar: field.scalar };
    if (field.mapKind === "enum") return { kind: "enum", enum: field.enum };
    return { kind: "message", message: field.message };
  }

  private single(target: Target, v: unknown, site: Site): boolean {
    if (target.kind === "scalar") {
      const p = parseScalar(v, target.scalar);
      if (!p.ok) this.error(site, p.reason);
      return p.ok;
    }
    if (target.kind === "enum") return this.enumValue(target.enum, v, site) !== undefined;
    const before = this.report.errorCount;
    this.message(target.message, v, site);
    return this.report.errorCount === before;
  }

  /** Enum JSON: a value name (Envoy parses names case-insensitively) or its number. Returns the number. */
  private enumValue(desc: DescEnum, v: unknown, site: Site, quiet = false): number | undefined {
    if (v === null) return 0;
    if (typeof v === "number" && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) return v;
    if (typeof v === "string") {
      const value = desc.values.find((x) => x.name === v) ?? desc.values.find((x) => x.name === v.toUpperCase());
      if (value) {
        if (!quiet) this.enumDeprecation(desc, value.number, site);
        return value.number;
      }
      if (!quiet) {
        const names = desc.values.map((x) => x.name);
        this.error(site, `invalid value "${v}" for enum ${desc.typeName}${didYouMean(v, names)}; allowed: ${names.join(", ")}`);
      }
      return undefined;
    }
    if (!quiet) this.error(site, `expected an enum name of ${desc.typeName}, got ${describe(v)}`);
    return undefined;
  }

  /** Well-known types with their own JSON form. Returns true when `desc` is one (and `value` was checked). */
  private wellKnown(desc: DescMessage, value: unknown, site: Site): boolean {
    const name = desc.typeName;
    const wrapped = wrapperScalars[name];
    if (wrapped !== undefined) {
      const p = parseScalar(value, wrapped);
      if (!p.ok) this.error(site, `${p.reason} (${name})`);
      return true;
    }
    switch (name) {
      case "google.protobuf.Any":
        this.any(value, site);
        return true;
      case "google.protobuf.Duration": {
        const p = parseDuration(value);
        if (!p.ok) this.error(site, p.reason);
        return true;
      }
      case "google.protobuf.Timestamp": {
        const p = parseTimestamp(value);
        if (!p.ok) this.error(site, p.reason);
        return true;
      }
      case "google.protobuf.FieldMask":
        if (typeof value !== "string") this.error(site, `expected a field mask string like "a.b,c", got ${describe(value)}`);
        return true;
      case "google.protobuf.Struct":
        if (!isObject(value)) this.error(site, `expected an object (google.protobuf.Struct), got ${describe(value)}`);
        return true;
      case "google.protobuf.ListValue":
        if (!Array.isArray(value)) this.error(site, `expected a list (google.protobuf.ListValue), got ${describe(value)}`);
        return true;
      case "google.protobuf.Value":
        return true;
    }
    return false;
  }

  /** Resolve an `@type` / `type_url` to a message of the registry, reporting why it cannot be. */
  resolveTypeUrl(url: unknown, site: Site): DescMessage | undefined {
    if (typeof url !== "string") {
      this.error(site, `expected a type URL string, got ${describe(url)}`);
      return undefined;
    }
    if (!url.startsWith(TYPE_URL_PREFIX)) {
      const name = url.slice(url.lastIndexOf("/") + 1);
      this.error(site, `invalid type URL "${url}": must be of the form "${TYPE_URL_PREFIX}<full.type.Name>"${name && this.schema.registry.getMessage(name) ? ` (did you mean "${TYPE_URL_PREFIX}${name}"?)` : ""}`);
      return undefined;
    }
    const name = url.slice(TYPE_URL_PREFIX.length);
    const desc = this.schema.registry.getMessage(name);
    if (desc) return desc;
    if (/^envoy\.(api\.v2|config\.filter)\.|\.v2(alpha\d*)?\./.test(name)) {
      const simple = name.slice(name.lastIndexOf(".") + 1);
      const v3 = this.allMessageNames().filter((n) => n.startsWith("envoy.") && n.endsWith("." + simple) && /\.v3\./.test(n));
      this.error(site, `unknown type "${name}": v2 xDS types were removed from Envoy${v3.length ? `; did you mean "${v3[0]}"?` : ""}`);
      return undefined;
    }
    this.error(site, `unknown type "${name}" (not in Envoy's API)${didYouMean(name, this.allMessageNames())}`);
    return undefined;
  }

  private allMessageNames(): string[] {
    if (!this.messageNames) {
      this.messageNames = [];
      for (const d of this.schema.registry) if (d.kind === "message") this.messageNames.push(d.typeName);
    }
    return this.messageNames;
  }

  private any(value: unknown, site: Site): void {
    if (!isObject(value)) {
      this.error(site, `expected an object with "@type" (google.protobuf.Any), got ${describe(value)}`);
      return;
    }
    if (!("@type" in value)) {
      if (Object.keys(value).length > 0) this.error(site, `google.protobuf.Any has no "@type"`);
      return;
    }
    const typeSite: Site = { path: joinPath(site.path, "@type"), parent: value, key: "@type" };
    const desc = this.resolveTypeUrl(value["@type"], typeSite);
    if (!desc) return;
    if (valueFormTypes.has(desc.typeName)) {
      for (const key of Object.keys(value)) {
        if (key !== "@type" && key !== "value") this.error({ path: joinPath(site.path, key), parent: value, key }, `unknown field "${key}": a ${desc.typeName} inside an Any is given as "value"`, true);
      }
      this.message(desc, value.value, { path: joinPath(site.path, "value"), parent: value, key: "value" });
      return;
    }
    this.message(desc, value, site, new Set(["@type"]));
  }

  /** xds.type.v3.TypedStruct / udpa.type.v1.TypedStruct: Envoy converts `value` to the `type_url` message strictly. */
  private typedStruct(value: Record<string, unknown>, site: Site): void {
    const urlKey = "type_url" in value ? "type_url" : "typeUrl";
    const url = value[urlKey];
    if (url === undefined || url === null || url === "") {
      this.error(site, `TypedStruct needs a type_url naming the message its value holds`);
      return;
    }
    const desc = this.resolveTypeUrl(url, { path: joinPath(site.path, urlKey), parent: value, key: urlKey });
    if (!desc) return;
    const payloadSite: Site = { path: joinPath(site.path, "value"), parent: value, key: "value" };
    this.message(desc, value.value ?? {}, payloadSite);
  }

  private isSet(field: DescField, v: unknown): boolean {
    if (v === null || v === undefined) return false;
    if (field.fieldKind === "list") return Array.isArray(v) && v.length > 0;
    if (field.fieldKind === "map") return isObject(v) && Object.keys(v).length > 0;
    if (field.fieldKind === "message" || field.oneof || field.presence === 1 /* EXPLICIT */) return true;
    if (field.fieldKind === "enum") return this.enumValue(field.enum, v, { path: "", parent: undefined, key: undefined }, true) !== 0;
    const p = parseScalar(v, field.scalar);
    if (!p.ok) return false;
    const d = scalarDefault(field.scalar);
    return p.value instanceof Uint8Array ? p.value.length > 0 : p.value !== d;
  }

  private deprecation(desc: DescMessage, field: DescField, v: unknown, site: Site): void {
    if (!field.deprecated || !this.isSet(field, v)) return;
    const name = `${desc.typeName}.${field.name}`;
    const since = this.schema.deprecatedAt(field);
    if (this.schema.disallowedByDefault(field)) {
      this.error(site, `${name} is deprecated and disallowed by default: Envoy rejects it unless a runtime override re-enables it`, true);
    } else {
      this.report.warning(site.path, this.pos(site, true), `${name} is deprecated${since ? ` (since API ${since})` : ""}: Envoy logs a warning and counts it in runtime.deprecated_feature_use`);
    }
  }

  private enumDeprecation(desc: DescEnum, n: number, site: Site): void {
    const value = desc.values.find((x) => x.number === n);
    if (!value || !value.deprecated) return;
    if (this.schema.enumValueDisallowedByDefault(value)) {
      this.error(site, `enum value ${desc.typeName}.${value.name} is deprecated and disallowed by default`);
    } else {
      this.report.warning(site.path, this.pos(site), `enum value ${desc.typeName}.${value.name} is deprecated`);
    }
  }

  // ---- PGV ---------------------------------------------------------------------------------------------------

  private fieldRules(desc: DescMessage, field: DescField, rules: Record<string, any>, v: unknown, site: Site): void {
    const present = v !== null && v !== undefined;
    const fail = (messages: string[], at: Site = site) => {
      for (const m of messages) this.error(at, `${desc.typeName}.${field.name}: ${m}`);
    };
    if (field.fieldKind === "list") {
      const items = present ? (v as unknown[]) : [];
      if (rules.repeated) {
        fail(countViolations("repeated", rules.repeated, items.length));
        if (rules.repeated.unique) {
          const seen = new Set<string>();
          items.forEach((item, i) => {
            const k = JSON.stringify(item);
            if (seen.has(k)) fail([`repeated value must contain unique items (duplicate ${k}) [PGV repeated.unique]`], { path: joinPath(site.path, i), parent: v, key: i });
            seen.add(k);
          });
        }
        if (rules.repeated.items) items.forEach((item, i) => this.targetRules(this.listTarget(field), rules.repeated.items, item, { path: joinPath(site.path, i), parent: v, key: i }, true, fail));
      }
      return;
    }
    if (field.fieldKind === "map") {
      const entries = present ? Object.entries(v as Record<string, unknown>) : [];
      if (rules.map) {
        fail(countViolations("map", rules.map, entries.length));
        for (const [k, item] of entries) {
          const itemSite: Site = { path: joinPath(site.path, k), parent: v, key: k };
          if (rules.map.keys) this.targetRules({ kind: "scalar", scalar: field.mapKey }, rules.map.keys, k, itemSite, true, fail);
          if (rules.map.values) this.targetRules(this.mapValueTarget(field), rules.map.values, item, itemSite, true, fail);
        }
      }
      return;
    }
    const target: Target = field.fieldKind === "scalar" ? { kind: "scalar", scalar: field.scalar } : field.fieldKind === "enum" ? { kind: "enum", enum: field.enum } : { kind: "message", message: field.message };
    // PGV checks implicit-presence scalars even when absent (as their zero value); oneof members and
    // explicit-presence fields only when set.
    if (field.oneof && !present) return;
    const checkAbsent = field.presence !== 1;
    this.targetRules(target, rules, v, site, checkAbsent, fail);
  }

  private targetRules(target: Target, rules: Record<string, any>, v: unknown, site: Site, checkAbsent: boolean, fail: (m: string[], at?: Site) => void): void {
    const present = v !== null && v !== undefined;
    if (target.kind === "message") {
      const name = target.message.typeName;
      const required = rules.message?.required || rules.duration?.required || rules.any?.required || rules.timestamp?.required;
      if (!present) {
        if (required) fail([`value is required [PGV ${rules.message?.required ? "message" : rules.duration ? "duration" : rules.any ? "any" : "timestamp"}.required]`]);
        return;
      }
      if (name === "google.protobuf.Duration" && rules.duration) {
        const p = parseDuration(v);
        if (p.ok) fail(durationViolations(rules.duration, p.value));
      } else if (name === "google.protobuf.Any" && rules.any && typeof (v as any)["@type"] === "string") {
        fail(anyViolations(rules.any, (v as any)["@type"]));
      } else if (wrapperScalars[name] !== undefined) {
        this.targetRules({ kind: "scalar", scalar: wrapperScalars[name] }, rules, v, site, true, fail);
      }
      return;
    }
    if (!present && !checkAbsent) return;
    if (target.kind === "enum") {
      if (!rules.enum) return;
      const n = present ? this.enumValue(target.enum, v, site, true) : 0;
      if (n !== undefined) fail(enumViolations(rules.enum, n, target.enum));
      return;
    }
    const kind = scalarRuleKind[target.scalar];
    const r = rules[kind];
    if (!r) return;
    const p = present ? parseScalar(v, target.scalar) : { ok: true as const, value: scalarDefault(target.scalar) };
    if (!p.ok) return;
    const value = p.value;
    if (typeof value === "string") fail(stringViolations(r, value));
    else if (typeof value === "boolean") fail(boolViolations(r, value));
    else if (value instanceof Uint8Array) fail(bytesViolations(r, value));
    else fail(numberViolations(kind, r, value));
  }
}
