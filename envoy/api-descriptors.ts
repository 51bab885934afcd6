// Envoy's API schema as the Envoy binary itself knows it. Protobuf's C++ code generator embeds every .proto file a
// binary is linked with as a serialized google.protobuf.FileDescriptorProto (the `descriptor_table_protodef_*`
// arrays of each *.pb.cc), so the exact API of a given Envoy build — its v3 messages, the PGV rules and Envoy's
// annotations in their options — can be read back from the executable. `ambient-wasm validate` checks configs
// against the set read from the newest pinned Envoy (scripts/build-descriptors.mjs).
//
// The serializer writes a message's fields in field-number order, and `name` (field 1) comes first. So a
// descriptor is found at `0x0a <len> <path>.proto 0x12` (name, then package) and ends where a field number goes
// down again — the next descriptor's name — or where the bytes stop being a valid FileDescriptorProto field.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";

/** FileDescriptorProto fields and their wire types (descriptor.proto): 0 = varint, 2 = length-delimited. */
const FIELD_WIRE_TYPES: Record<number, number[]> = {
  1: [2], 2: [2], 3: [2], 4: [2], 5: [2], 6: [2], 7: [2], 8: [2], 9: [2], 10: [0, 2], 11: [0, 2], 12: [2], 14: [0], 15: [2],
};

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] | null {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 10 && pos < buf.length; i++, pos++) {
    const b = buf[pos];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [value, pos + 1];
  }
  return null;
}

/** Length of the FileDescriptorProto that starts at `start`, or 0 when the bytes there are not one. */
function descriptorLength(buf: Uint8Array, start: number): number {
  let pos = start;
  let lastField = 0;
  for (;;) {
    const tag = readVarint(buf, pos);
    if (!tag) break;
    const field = Math.floor(tag[0] / 8);
    const wire = tag[0] & 7;
    if (!FIELD_WIRE_TYPES[field]?.includes(wire) || field < lastField || (field === 1 && lastField !== 0)) break;
    let next: number;
    if (wire === 0) {
      const v = readVarint(buf, tag[1]);
      if (!v) break;
      next = v[1];
    } else {
      const len = readVarint(buf, tag[1]);
      if (!len || len[1] + len[0] > buf.length) break;
      next = len[1] + len[0];
    }
    lastField = field;
    pos = next;
  }
  return pos - start;
}

const NAME_PATTERN = /\x0a[\x01-\x7f]([a-z0-9_\/.-]+\.proto)\x12/g;

/** Every FileDescriptorProto embedded in `binary`, one per file name (the first that decodes). */
export function embeddedDescriptors(binary: Uint8Array): Map<string, FileDescriptorProto> {
  const text = Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength).toString("latin1");
  const found = new Map<string, FileDescriptorProto>();
  for (const m of text.matchAll(NAME_PATTERN)) {
    const name = m[1];
    if (found.has(name) || text.charCodeAt(m.index! + 1) !== name.length) continue;
    const length = descriptorLength(binary, m.index!);
    try {
      const file = fromBinary(FileDescriptorProtoSchema, binary.subarray(m.index!, m.index! + length));
      if (file.name === name && file.package !== "") found.set(name, file);
    } catch {
      // not a descriptor after all: the same bytes can occur by chance
    }
  }
  return found;
}

/**
 * A FileDescriptorSet of the embedded files whose imports are all embedded too, in dependency order, restricted to
 * what `keep` selects and everything it imports.
 */
export function apiDescriptorSet(binary: Uint8Array, keep: (name: string) => boolean): Uint8Array {
  const all = embeddedDescriptors(binary);
  const ordered: FileDescriptorProto[] = [];
  const state = new Map<string, "visiting" | "done" | "missing">();
  const visit = (name: string): boolean => {
    const s = state.get(name);
    if (s === "done") return true;
    if (s === "missing" || s === "visiting") return s === "visiting";
    const file = all.get(name);
    if (!file) return state.set(name, "missing"), false;
    state.set(name, "visiting");
    const ok = file.dependency.every(visit);
    state.set(name, ok ? "done" : "missing");
    if (ok) ordered.push(file);
    return ok;
  };
  for (const name of [...all.keys()].sort()) if (keep(name)) visit(name);
  return toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: ordered }));
}

/** The files `ambient-wasm validate` needs: Envoy's v3 API, cncf/xds and udpa, with what they import. */
export const isEnvoyApiFile = (name: string): boolean =>
  /^envoy\/.*\/v3(alpha)?\//.test(name) || name.startsWith("xds/") || name.startsWith("udpa/");
