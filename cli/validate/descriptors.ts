// The Envoy API schema: build/envoy-api.binpb (made by scripts/build-descriptors.mjs) decoded once per process.
import { createFileRegistry, fromBinary, getOption, hasOption, toJson, type DescEnumValue, type DescExtension, type DescField, type DescMessage, type DescOneof, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { existsSync, readFileSync } from "node:fs";

export interface EnvoySchema {
  registry: FileRegistry;
  /** PGV field rules as plain JSON (proto field names), only the rules actually set; undefined when none. */
  fieldRules(field: DescField): FieldRules | undefined;
  /** PGV `(validate.required)` on a oneof. */
  oneofRequired(oneof: DescOneof): boolean;
  /** PGV `(validate.disabled)` on a message. */
  messageRulesDisabled(message: DescMessage): boolean;
  /** `envoy.annotations.disallowed_by_default` on a field. */
  disallowedByDefault(field: DescField): boolean;
  /** `envoy.annotations.disallowed_by_default_enum` on an enum value. */
  enumValueDisallowedByDefault(value: DescEnumValue): boolean;
  /** `envoy.annotations.deprecated_at_minor_version` ("3.0", ...) of a field or enum value, if any. */
  deprecatedAt(desc: DescField | DescEnumValue): string | undefined;
}

/** A PGV `FieldRules` message as JSON with proto field names: `{string: {min_len: "1"}}`, `{message: {required: true}}`. */
export type FieldRules = Record<string, any>;

let loaded: EnvoySchema | undefined;

async function descriptorSetBytes(): Promise<Uint8Array> {
  // @ts-ignore -- plain ESM build script without type declarations
  const build = await import("../../scripts/build-descriptors.mjs");
  const path: string = build.descriptorSetPath;
  if (!existsSync(path)) await build.buildDescriptors({ quiet: true });
  return readFileSync(path);
}

/** The schema, decoded on first use (and built first if `npm run build` never ran). */
export async function loadEnvoySchema(): Promise<EnvoySchema> {
  if (loaded) return loaded;
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, await descriptorSetBytes()));
  const ext = (name: string): DescExtension | undefined => registry.getExtension(name);
  const rulesExt = ext("validate.rules");
  const requiredExt = ext("validate.required");
  const disabledExt = ext("validate.disabled");
  const disallowedExt = ext("envoy.annotations.disallowed_by_default");
  const disallowedEnumExt = ext("envoy.annotations.disallowed_by_default_enum");
  const deprecatedAtExt = ext("envoy.annotations.deprecated_at_minor_version");
  const deprecatedAtEnumExt = ext("envoy.annotations.deprecated_at_minor_version_enum");
  const rulesCache = new Map<DescField, FieldRules | undefined>();
  const boolOption = (desc: any, e: DescExtension | undefined): boolean => !!e && hasOption(desc, e as any) && getOption(desc, e as any) === true;

  loaded = {
    registry,
    fieldRules(field) {
      if (rulesCache.has(field)) return rulesCache.get(field);
      let rules: FieldRules | undefined;
      if (rulesExt && hasOption(field, rulesExt as any)) {
        const msg = getOption(field, rulesExt as any) as any;
        // toJson emits only the rules that are set: proto2 defaults read through the prototype would look like rules.
        rules = toJson(rulesExt.message!, msg, { useProtoFieldName: true, registry }) as FieldRules;
      }
      rulesCache.set(field, rules);
      return rules;
    },
    oneofRequired: (oneof) => boolOption(oneof, requiredExt),
    messageRulesDisabled: (message) => boolOption(message, disabledExt),
    disallowedByDefault: (field) => boolOption(field, disallowedExt),
    enumValueDisallowedByDefault: (value) => boolOption(value, disallowedEnumExt),
    deprecatedAt(desc) {
      const e = desc.kind === "field" ? deprecatedAtExt : deprecatedAtEnumExt;
      if (!e || !hasOption(desc as any, e as any)) return undefined;
      const v = getOption(desc as any, e as any);
      return typeof v === "string" && v !== "" ? v : undefined;
    },
  };
  return loaded;
}
