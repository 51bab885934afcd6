// Type URLs of `Any.@type` and `TypedStruct.type_url`.

/** The only prefix protobuf's type resolver (the one Envoy's JSON parsing uses) accepts. */
export const TYPE_URL_PREFIX = "type.googleapis.com/";

/** TypedStruct messages: Envoy unpacks their `value` (a Struct) into the message named by `type_url`. */
export const typedStructTypes = new Set(["xds.type.v3.TypedStruct", "udpa.type.v1.TypedStruct"]);

/** The message a typed config holds, looking through TypedStruct: {typeName, config} (config is JSON). */
export function unpackTypedConfig(typedConfig: unknown): { typeName: string; config: Record<string, unknown>; typedStruct: boolean } | undefined {
  if (typedConfig === null || typeof typedConfig !== "object" || Array.isArray(typedConfig)) return undefined;
  const any = typedConfig as Record<string, unknown>;
  const url = any["@type"];
  if (typeof url !== "string") return undefined;
  const name = url.slice(url.lastIndexOf("/") + 1);
  if (typedStructTypes.has(name)) {
    const inner = any.type_url ?? any.typeUrl;
    if (typeof inner !== "string") return undefined;
    const value = any.value;
    return { typeName: inner.slice(inner.lastIndexOf("/") + 1), config: value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {}, typedStruct: true };
  }
  return { typeName: name, config: any, typedStruct: false };
}
