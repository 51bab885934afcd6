// Compiles AssemblyScript entry files with the project's asconfig.json, skipping work whose inputs are unchanged.
import asc from "assemblyscript/asc";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function assemblyFiles(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "node_modules" && name !== "fixtures") out.push(...assemblyFiles(path));
    } else if (name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts")) {
      out.push(path);
    }
  }
  return out;
}

/**
 * The source files an AssemblyScript build of `entry` (an absolute path) can depend on: the SDK, the shared
 * library, the code the filters share (filters/common), the entry's folder.
 */
export function assemblyInputs(entry) {
  return [...assemblyFiles(join(root, "sdk")), ...assemblyFiles(join(root, "lib")), ...assemblyFiles(join(root, "filters", "common")),
    ...assemblyFiles(dirname(entry))];
}

/** Hash of the compiler, its configuration and arguments, and every file of assemblyInputs(entry). */
function inputsHash(entry, extraArgs) {
  const h = createHash("sha256");
  h.update(readFileSync(join(root, "asconfig.json")));
  h.update(JSON.stringify(extraArgs));
  h.update(readFileSync(join(root, "node_modules/assemblyscript/package.json")));
  for (const file of assemblyInputs(entry)) {
    h.update(relative(root, file));
    h.update(readFileSync(file));
  }
  return h.digest("hex");
}

/**
 * Compile one AssemblyScript entry to `outFile`. Returns {outFile, bytes, cached}.
 * Throws with the compiler's diagnostics on failure.
 */
export async function compileAssemblyScript(entry, outFile, { target = "release", extraArgs = [] } = {}) {
  entry = resolve(root, entry);
  outFile = resolve(root, outFile);
  mkdirSync(dirname(outFile), { recursive: true });
  const stamp = outFile + ".inputs";
  const hash = inputsHash(entry, [target, ...extraArgs]);
  if (existsSync(outFile) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) {
    return { outFile, bytes: statSync(outFile).size, cached: true };
  }
  let stderrText = "";
  const stderr = { write: (s) => { stderrText += s; return true; } };
  const { error } = await asc.main(
    [relative(root, entry), "--config", "asconfig.json", "--target", target, "-o", relative(root, outFile), ...extraArgs],
    { stdout: { write: () => true }, stderr, baseDir: root },
  );
  if (error) throw new Error(`AssemblyScript build of ${relative(root, entry)} failed:\n${stderrText || error.message}`);
  writeFileSync(stamp, hash);
  return { outFile, bytes: statSync(outFile).size, cached: false };
}
