// Compiles AssemblyScript entry files with the project's asconfig.json, skipping work whose inputs are unchanged.
import asc from "assemblyscript/asc";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { threadId } from "node:worker_threads";

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
 * The cause behind a compiler error a newcomer cannot read: asconfig.json's `use: abort=sdk/runtime/abort/abort`
 * fails with AS111 when the entry never reaches the SDK, which is what forgetting its exports looks like.
 */
function explainBuildError(entry, stderrText) {
  if (!/AS111[^\n]*sdk\/runtime\/abort\/abort/.test(stderrText)) return null;
  const toExports = relative(dirname(entry), join(root, "sdk/exports")).split("\\").join("/");
  return (
    `${relative(root, entry)} does not export the SDK's entry points (proxy_on_* and the abort handler).\n` +
    `Add this line to it:  export * from "${toExports.startsWith(".") ? toExports : "./" + toExports}";\n` +
    `(compiler said: ${stderrText.replace(/\x1b\[[0-9;]*m/g, "").trim().split("\n")[0]})`
  );
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
  // Written under a temporary name and renamed, so a test file reading a shared probe never sees half a module.
  const partial = `${outFile}.${process.pid}-${threadId}.partial`;
  const { error } = await asc.main(
    [relative(root, entry), "--config", "asconfig.json", "--target", target, "-o", relative(root, partial), ...extraArgs],
    { stdout: { write: () => true }, stderr, baseDir: root },
  );
  if (error) {
    rmSync(partial, { force: true });
    throw new Error(`AssemblyScript build of ${relative(root, entry)} failed:\n${explainBuildError(entry, stderrText) ?? (stderrText || error.message)}`);
  }
  renameSync(partial, outFile);
  writeFileSync(stamp, hash);
  return { outFile, bytes: statSync(outFile).size, cached: false };
}
