// Protobuf wire encoding of google.protobuf.Struct / Value / ListValue from their JSON form — the bytes a Wasm
// plugin receives when its configuration is a Struct Any: Envoy hands over `Any.value`, the serialized message
// (envoyproxy/envoy:source/common/protobuf/utility.h, MessageUtil::anyToBytes). Field numbers from
// protocolbuffers/protobuf:src/google/protobuf/struct.proto. Map entries are written in the JSON object's key
// order; protobuf leaves the order of map entries on the wire unspecified.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;

class Writer {
  private readonly parts: number[] = [];

  varint(v: number): void {
    while (v > 0x7f) {
      this.parts.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.parts.push(v);
  }

  tag(field: number, wire: number): void { this.varint(field * 8 + wire); }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(data.length);
    for (const b of data) this.parts.push(b);
  }

  double(field: number, v: number): void {
    this.tag(field, WIRE_FIXED64);
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.parts.push(view.getUint8(i));
  }

  finish(): Uint8Array { return Uint8Array.from(this.parts); }
}

const utf8 = new TextEncoder();

/** google.protobuf.Value: null_value = 1, number_value = 2, string_value = 3, bool_value = 4, struct_value = 5, list_value = 6. */
export function encodeValue(value: unknown): Uint8Array {
  const w = new Writer();
  if (value === null || value === undefined) {
    w.tag(1, WIRE_VARINT);
    w.varint(0);
  } else if (typeof value === "number") {
    w.double(2, value);
  } else if (typeof value === "string") {
    w.bytes(3, utf8.encode(value));
  } else if (typeof value === "boolean") {
    w.tag(4, WIRE_VARINT);
    w.varint(value ? 1 : 0);
  } else if (Array.isArray(value)) {
    w.bytes(6, encodeListValue(value));
  } else if (typeof value === "object") {
    w.bytes(5, encodeStruct(value as Record<string, unknown>));
  } else {
    throw new TypeError(`a ${typeof value} has no google.protobuf.Value form`);
  }
  return w.finish();
}

/** google.protobuf.ListValue: repeated Value values = 1. */
export function encodeListValue(values: unknown[]): Uint8Array {
  const w = new Writer();
  for (const v of values) w.bytes(1, encodeValue(v));
  return w.finish();
}

/** google.protobuf.Struct: map<string, Value> fields = 1 (each entry a message: key = 1, value = 2). */
export function encodeStruct(fields: Record<string, unknown>): Uint8Array {
  const w = new Writer();
  for (const [key, value] of Object.entries(fields)) {
    const entry = new Writer();
    entry.bytes(1, utf8.encode(key));
    entry.bytes(2, encodeValue(value));
    w.bytes(1, entry.finish());
  }
  return w.finish();
}
