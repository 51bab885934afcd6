// Test module for sdk/headers.ts HeaderSnapshot (test/sdk/header-snapshot.test.ts): reads request headers from one
// snapshot and writes its edits back with one commit; also exports the UTF-8 check of a raw pairs block.
export * from "../../../sdk/exports";
import { FilterHeadersStatus, HttpContext, RootContext, registerRootContext, requestHeaders } from "../../../sdk";
import { pairsAreUtf8 } from "../../../sdk/pairs";

class SnapshotHttp extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const headers = requestHeaders.snapshot();
    const path = headers.get(":path");
    if (path !== null && path == "/read-only") return FilterHeadersStatus.Continue; // nothing to commit
    headers.replace("x-seen-path", path !== null ? path : "null");
    headers.replace("x-seen-has-strip", headers.has("x-strip") ? "yes" : "no");
    headers.remove("x-strip");
    headers.remove("x-never-there");
    headers.replace("x-replace", "new");
    headers.replace("x-seen-after-remove", headers.get("x-strip") === null ? "gone" : "still");
    headers.commit(requestHeaders);
    return FilterHeadersStatus.Continue;
  }
}

class SnapshotRoot extends RootContext {
  newHttpContext(contextId: u32): HttpContext | null {
    return new SnapshotHttp(contextId, this);
  }
}

registerRootContext("", (id: u32): RootContext => new SnapshotRoot(id));

/** pairsAreUtf8 over a pairs block the test builds (bytes copied into unmanaged memory first). */
export function checkPairsBlock(block: ArrayBuffer): bool {
  const size = <usize>block.byteLength;
  const ptr = heap.alloc(size);
  memory.copy(ptr, changetype<usize>(block), size);
  const ok = pairsAreUtf8(ptr, size);
  heap.free(ptr);
  return ok;
}
