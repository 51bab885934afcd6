// AssemblyScript's `abort` (failed assertion, out-of-bounds access, out of memory...) remapped by asconfig.json
// ("use": ["abort=sdk/runtime/abort/abort"]) so modules never import env.abort, which Envoy does not provide.
// It logs at critical through proxy_log (allowed in every phase, even _initialize) and traps; Envoy then applies
// the plugin's failure policy.
import { formatInt } from "../format";
import { LogLevel } from "../types";
import { proxy_log } from "../hostcalls";
import { utf8Length, writeUtf8 } from "../memory";

let aborting = false;

export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  if (!aborting) {
    // A second abort while reporting (e.g. out of memory again) just traps.
    aborting = true;
    let text = "abort: " + (message !== null ? message : "(no message)");
    if (fileName !== null) text += " at " + fileName + ":" + formatInt(line) + ":" + formatInt(column);
    // Encoded into fresh memory rather than the shared scratch block, which may be mid-use.
    const size = utf8Length(text);
    const buf = heap.alloc(size);
    writeUtf8(text, buf);
    proxy_log(LogLevel.Critical, buf, size);
  }
  unreachable();
}
