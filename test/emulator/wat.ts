// Compiles the hand-written WAT test modules in ./wat with wabt.
// Two conveniences on top of plain WAT: `;;@prelude` is replaced by wat/prelude.wat (memory, bump malloc,
// logging helpers), and `(str "text")` becomes `(i32.const ADDR) (i32.const LEN)` with a data segment.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import wabtInit from "wabt";

const here = dirname(fileURLToPath(import.meta.url));
let wabtPromise: ReturnType<typeof wabtInit> | null = null;

function unescapeWatString(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== "\\") { out.push(...Buffer.from(c, "utf8")); continue; }
    const n = s[++i];
    if (n === "n") out.push(10);
    else if (n === "t") out.push(9);
    else if (n === "\\") out.push(92);
    else if (n === '"') out.push(34);
    else if (n === "'") out.push(39);
    else { out.push(parseInt(s.slice(i, i + 2), 16)); i++; }
  }
  return out;
}

/** Expand the test macros of a WAT source. */
export function expandWat(source: string): string {
  let text = source.replace(";;@prelude", readFileSync(join(here, "wat", "prelude.wat"), "utf8"));
  const segments: string[] = [];
  let addr = 2048;
  text = text.replace(/\(str "((?:[^"\\]|\\.)*)"\)/g, (_m, body: string) => {
    const bytes = unescapeWatString(body);
    const at = addr;
    addr += bytes.length + 1;
    segments.push(`(data (i32.const ${at}) "${bytes.map((b) => "\\" + b.toString(16).padStart(2, "0")).join("")}")`);
    return `(i32.const ${at}) (i32.const ${bytes.length})`;
  });
  const end = text.lastIndexOf(")");
  return text.slice(0, end) + "\n" + segments.join("\n") + "\n)";
}

/** Compile WAT source text to a Wasm binary. */
export async function compileWat(source: string, name = "module.wat"): Promise<Uint8Array> {
  wabtPromise ??= wabtInit();
  const wabt = await wabtPromise;
  const mod = wabt.parseWat(name, expandWat(source), { bulk_memory: true, mutable_globals: true, sign_extension: true });
  try {
    mod.resolveNames();
    mod.validate();
    return new Uint8Array(mod.toBinary({ log: false }).buffer);
  } finally {
    mod.destroy();
  }
}

/** Compile test/emulator/wat/<name>.wat. */
export async function wat(name: string): Promise<Uint8Array> {
  return compileWat(readFileSync(join(here, "wat", `${name}.wat`), "utf8"), `${name}.wat`);
}

/** Messages of captured logs (optionally only those starting with a prefix). */
export function messages(logs: Array<{ message: string }>, prefix = ""): string[] {
  return logs.map((l) => l.message).filter((m) => m.startsWith(prefix));
}
