// Type URLs of `Any.@type` and `TypedStruct.type_url`.

/** The only prefix protobuf's type resolver (the one Envoy's JSON parsing uses) accepts. */
export const TYPE_URL_PREFIX = "type.googleapis.com/";

// How a typed config is unpacked (looking through TypedStruct) is the emulator's Envoy-bootstrap adapter's.
export { TYPED_STRUCT_TYPES as typedStructTypes, unpackTypedConfig } from "../../emulator/envoy-bootstrap.ts";
