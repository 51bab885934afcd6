// Guest memory shared with the host.
//
// Host → module: Envoy allocates every value it returns (header values, properties, bodies...) by calling the
// module's `malloc` (it looks `malloc` up first and falls back to `proxy_on_memory_allocate`) and never frees it.
// We hand out *unmanaged* blocks from AssemblyScript's heap (heap.alloc): the garbage collector does not know
// them, so nothing has to be pinned; the SDK copies each block into a managed String/ArrayBuffer and frees it
// right away (takeString/takeBytes). No host call happens here: Envoy forbids them inside the allocator.
//
// Module → host: string arguments are UTF-8 encoded into one reusable unmanaged scratch block instead of a
// fresh ArrayBuffer per call, so a host call with string arguments allocates nothing.

/**
 * Bytes the host handed the module since the last reset: what a request (its headers, bodies, properties) makes
 * the module decode into managed memory, the garbage that a large request leaves (sdk/dispatcher.ts collects
 * early once it passes a threshold).
 */
let hostBytes: usize = 0;

export function hostBytesReceived(): usize {
  return hostBytes;
}

export function resetHostBytesReceived(): void {
  hostBytes = 0;
}

/** Host allocator (looked up first by Envoy). */
export function malloc(size: usize): usize {
  hostBytes += size;
  return heap.alloc(size);
}

/** ABI 0.2.1 name of the host allocator (used when `malloc` is absent, and by other hosts). */
export function proxy_on_memory_allocate(size: usize): usize {
  hostBytes += size;
  return heap.alloc(size);
}

// Two words the host writes results into: [0] pointer / value, [4] size. Plus 8 bytes for u64 results.
// @ts-ignore: decorator
@lazy export const RETURN_PTR: usize = memory.data(16);
// @ts-ignore: decorator
@inline export const RETURN_SIZE_OFFSET: usize = 4;
// @ts-ignore: decorator
@lazy export const RETURN_U64: usize = memory.data(8, 8);

/** Pointer the host wrote to the first return slot. */
// @ts-ignore: decorator
@inline export function returnedPointer(): usize {
  return load<u32>(RETURN_PTR) as usize;
}

/** Size the host wrote to the second return slot. */
// @ts-ignore: decorator
@inline export function returnedSize(): usize {
  return load<u32>(RETURN_PTR, RETURN_SIZE_OFFSET) as usize;
}

/** Copies a host-returned block into a managed string (UTF-8 decoded) and frees the block. ptr 0 = empty. */
export function takeString(ptr: usize, size: usize): string {
  if (ptr == 0 || size == 0) {
    if (ptr != 0) heap.free(ptr);
    return "";
  }
  const s = String.UTF8.decodeUnsafe(ptr, size);
  heap.free(ptr);
  return s;
}

/** Copies a host-returned block into a managed ArrayBuffer and frees the block. ptr 0 = empty buffer. */
export function takeBytes(ptr: usize, size: usize): ArrayBuffer {
  const out = new ArrayBuffer(<i32>size);
  if (ptr != 0) {
    memory.copy(changetype<usize>(out), ptr, size);
    heap.free(ptr);
  }
  return out;
}

/** Frees a host-returned block the caller does not need. */
export function discard(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

let scratchPtr: usize = 0;
let scratchCapacity: usize = 0;

/** Start of an unmanaged scratch area of at least `size` bytes, valid until the next call. */
export function scratch(size: usize): usize {
  if (size > scratchCapacity) {
    if (scratchPtr != 0) heap.free(scratchPtr);
    let capacity: usize = scratchCapacity < 256 ? 256 : scratchCapacity;
    while (capacity < size) capacity <<= 1;
    scratchPtr = heap.alloc(capacity);
    scratchCapacity = capacity;
  }
  return scratchPtr;
}

/** UTF-8 byte length of a string (no terminator). */
// @ts-ignore: decorator
@inline export function utf8Length(s: string): usize {
  return <usize>String.UTF8.byteLength(s);
}

/** Writes `s` as UTF-8 at `dst`; returns the address after it. */
// @ts-ignore: decorator
@inline export function writeUtf8(s: string, dst: usize): usize {
  return dst + String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, dst);
}

/** Writes `s` as UTF-8 at the start of scratch (`size` = utf8Length(s)); returns that start. For one-string host calls. */
export function scratchUtf8(s: string, size: usize): usize {
  const buf = scratch(size);
  writeUtf8(s, buf);
  return buf;
}
