// Builds build/envoy-api.binpb: a FileDescriptorSet of Envoy's v3 API (plus cncf/xds, udpa and the PGV annotations)
// that `ambient-wasm validate` reads at run time. Its source is the newest pinned Envoy binary itself
// (envoy/api-descriptors.ts reads the descriptors embedded in it), so the validator knows exactly the API of the
// Envoy the project runs. Only when that Envoy cannot be had does it fall back to compiling, with `buf`, the older
// protos shipped in @grpc/grpc-js-xds (Envoy API of July 2024), and says so. build/envoy-api.source.txt names the
// source. The output is cached by a hash of every input, so repeated builds do no work.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const deps = join(root, "node_modules/@grpc/grpc-js-xds/deps");
export const descriptorSetPath = join(root, "build/envoy-api.binpb");
export const descriptorSourcePath = join(root, "build/envoy-api.source.txt");

// Include roots, by module name in the temporary buf workspace. The PGV root is our own validate.proto
// (see the header of cli/validate/proto/validate/validate.proto), replacing the stale one in grpc-js-xds.
const modules = {
  "envoy-api": join(deps, "envoy-api"),
  xds: join(deps, "xds"),
  googleapis: join(deps, "googleapis"),
  pgv: join(root, "cli/validate/proto"),
};

// Files of the snapshot that import protos grpc-js-xds does not ship (opencensus, opentelemetry, metrics/trace services).
const excluded = [
  /\/config\/trace\/v3\/(opencensus|trace)\.proto$/,
  /\/access_loggers\/open_telemetry\/v3\/logs_service\.proto$/,
  /\/service\/(metrics|trace)\/v3\//,
];

function protoFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...protoFiles(path));
    else if (name.endsWith(".proto")) out.push(path);
  }
  return out;
}

/** Workspace-relative paths of the files to compile: every Envoy v3/v3alpha API file, and all of cncf/xds + udpa. */
function targets() {
  const envoy = protoFiles(modules["envoy-api"])
    .filter((f) => /\/v3(alpha)?\//.test(f) && !excluded.some((re) => re.test(f)))
    .map((f) => "envoy-api/" + relative(modules["envoy-api"], f));
  const xds = protoFiles(modules.xds).map((f) => "xds/" + relative(modules.xds, f));
  return [...envoy, ...xds];
}

function bufBinary() {
  const bin = join(root, "node_modules/.bin/buf");
  if (!existsSync(bin)) throw new Error("buf not found: install the @bufbuild/buf dev dependency (npm install)");
  return bin;
}

function inputsHash(bin, files) {
  const h = createHash("sha256");
  h.update(execFileSync(bin, ["--version"], { encoding: "utf8" }));
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const [name, dir] of Object.entries(modules)) {
    for (const file of protoFiles(dir)) {
      h.update(name + "/" + relative(dir, file));
      h.update(readFileSync(file));
    }
  }
  h.update(files.join("\n"));
  return h.digest("hex");
}

/** Imports a TypeScript module of the project, under tsx's loader when this runs under plain node. */
async function importTs(relativePath) {
  const url = new URL(relativePath, import.meta.url).href;
  try {
    return await import(url);
  } catch (e) {
    if (e?.code !== "ERR_UNKNOWN_FILE_EXTENSION") throw e;
    const { tsImport } = await import("tsx/esm/api");
    return tsImport(url, import.meta.url);
  }
}

function writeAtomically(path, bytes) {
  const staged = `${path}.${process.pid}.tmp`;
  writeFileSync(staged, bytes);
  renameSync(staged, path);
}

/** From the newest pinned Envoy's binary; null when that Envoy cannot be had (the reason is returned instead). */
async function buildFromEnvoy({ quiet }) {
  const provision = await importTs("../envoy/provision.ts");
  let envoy;
  try {
    envoy = provision.resolveEnvoy({ version: provision.newestPinned() });
  } catch (e) {
    return { unavailable: e.message.split("\n")[0] };
  }
  const extractor = await importTs("../envoy/api-descriptors.ts");
  const stamp = descriptorSetPath + ".inputs";
  const h = createHash("sha256");
  h.update(envoy.build);
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  h.update(readFileSync(join(root, "envoy/api-descriptors.ts")));
  const hash = h.digest("hex");
  const source = `Envoy ${envoy.version} (${envoy.build}), descriptors embedded in its binary`;
  let cached = true;
  if (!existsSync(descriptorSetPath) || !existsSync(stamp) || readFileSync(stamp, "utf8") !== hash) {
    cached = false;
    mkdirSync(dirname(descriptorSetPath), { recursive: true });
    const set = extractor.apiDescriptorSet(readFileSync(envoy.path), extractor.isEnvoyApiFile);
    writeAtomically(descriptorSetPath, set);
    writeAtomically(descriptorSourcePath, source + "\n");
    writeFileSync(stamp, hash);
  }
  return report({ quiet, cached, source });
}

function report({ quiet, cached, source }) {
  const bytes = statSync(descriptorSetPath).size;
  if (!quiet) console.log(`build/envoy-api.binpb`.padEnd(34) + `${String(bytes).padStart(7)} bytes${cached ? "  (unchanged)" : ""}  ${source}`);
  return { path: descriptorSetPath, bytes, cached, source };
}

/** Build the descriptor set if its inputs changed. Returns {path, bytes, cached, source}. */
export async function buildDescriptors({ quiet = false } = {}) {
  const fromEnvoy = await buildFromEnvoy({ quiet });
  if (!fromEnvoy.unavailable) return fromEnvoy;
  console.warn(`warning: ${fromEnvoy.unavailable}\nwarning: validating against the older Envoy API snapshot in @grpc/grpc-js-xds (July 2024) instead`);
  return buildFromGrpcJsXds({ quiet });
}

async function buildFromGrpcJsXds({ quiet }) {
  const bin = bufBinary();
  const files = targets();
  const stamp = descriptorSetPath + ".inputs";
  const hash = inputsHash(bin, files);
  let cached = true;
  if (!existsSync(descriptorSetPath) || !existsSync(stamp) || readFileSync(stamp, "utf8") !== hash) {
    cached = false;
    mkdirSync(dirname(descriptorSetPath), { recursive: true });
    const workspace = mkdtempSync(join(tmpdir(), "ambient-wasm-buf-"));
    try {
      for (const [name, dir] of Object.entries(modules)) symlinkSync(dir, join(workspace, name), "dir");
      writeFileSync(join(workspace, "buf.yaml"), "version: v2\nmodules:\n" + Object.keys(modules).map((m) => `  - path: ${m}\n`).join(""));
      const tmpOut = join(workspace, "out.binpb");
      execFileSync(bin, ["build", ...files.flatMap((f) => ["--path", f]), "--exclude-source-info", "-o", tmpOut], {
        cwd: workspace,
        stdio: ["ignore", "pipe", "pipe"],
      });
      // Rename into place so a concurrent reader never sees a partly written file.
      writeAtomically(descriptorSetPath, readFileSync(tmpOut));
      writeAtomically(descriptorSourcePath, grpcJsXdsSource + "\n");
      writeFileSync(stamp, hash);
    } catch (e) {
      const detail = e.stderr ? String(e.stderr) : e.message;
      throw new Error(`buf build of the Envoy API descriptor set failed:\n${detail}`);
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  }
  return report({ quiet, cached, source: grpcJsXdsSource });
}

const grpcJsXdsSource = "Envoy API protos of @grpc/grpc-js-xds (July 2024), compiled by buf";

export default async function () {
  await buildDescriptors();
}
