// Kubernetes AuthorizationPolicy YAML → identity-rbac plugin configuration.
//
// Each policy keeps its `spec` exactly as written, plus the name and namespace from `metadata` and the
// `istio.io/dry-run` annotation. Structural problems (unknown fields, wrong types, unsupported actions) are
// reported with the file, the document number and the path inside the document.
import { LineCounter, parseAllDocuments, type Document } from "yaml";
import { formatPath, validate, type PathSegment } from "./schema.ts";

export interface PolicyEntry {
  name: string;
  namespace: string;
  dryRun?: boolean;
  spec: Record<string, unknown>;
}

/** Where a converted policy came from, for error messages. */
export interface PolicyOrigin {
  file: string;
  /** 1-based document number in the file. */
  document: number;
  /** Path of the object inside the document (`[]`, or `["items", 3]` for a List). */
  objectPath: PathSegment[];
  /** `namespace/name`. */
  key: string;
  doc: Document;
  lineCounter: LineCounter;
}

/** An error, warning or note about the input: `file:line:col: document N: path: message`. */
export interface ConvertError {
  file: string;
  document?: number;
  path?: string;
  line?: number;
  col?: number;
  message: string;
}

export function formatError(e: ConvertError): string {
  let where = e.file;
  if (e.line !== undefined) where += `:${e.line}` + (e.col !== undefined ? `:${e.col}` : "");
  if (e.document !== undefined) where += `: document ${e.document}`;
  if (e.path) where += `: ${e.path}`;
  return `${where}: ${e.message}`;
}

const API_VERSIONS = ["security.istio.io/v1", "security.istio.io/v1beta1"];
const DRY_RUN_ANNOTATION = "istio.io/dry-run";

/** Go's strconv.ParseBool, which istiod uses for the dry-run annotation. */
function parseGoBool(s: string): boolean | null {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return null;
}

/** Line and column of the deepest node of `path` that exists (a missing field points at its parent). */
function positionOf(doc: Document, lineCounter: LineCounter, path: PathSegment[]): { line?: number; col?: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    const range = node && typeof node === "object" ? node.range : undefined;
    if (range) return lineCounter.linePos(range[0]);
  }
  return {};
}

export interface ConvertResult {
  policies: PolicyEntry[];
  origins: PolicyOrigin[];
  /**
   * Policies with structural errors, as far as they could be read: still loaded in the filter so its own
   * errors for them are reported in the same run.
   */
  invalid: { entry: PolicyEntry; origin: PolicyOrigin }[];
  errors: ConvertError[];
  /** Documents of other kinds that were skipped, as messages. */
  skipped: string[];
}

/**
 * Converts the YAML text of one file. `defaultNamespace` is used for policies without metadata.namespace
 * (what `kubectl apply` would do with the current namespace).
 */
export function convertYaml(file: string, text: string, defaultNamespace: string): ConvertResult {
  const result: ConvertResult = { policies: [], origins: [], invalid: [], errors: [], skipped: [] };
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  if (!Array.isArray(docs)) {
    result.errors.push({ file, message: "not a YAML document stream" });
    return result;
  }
  docs.forEach((doc, i) => {
    const document = i + 1;
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      result.errors.push({ file, document, line: pos?.line, col: pos?.col, message: `YAML: ${err.message.split("\n")[0].replace(/ at line \d+, column \d+/, "").replace(/:\s*$/, "")}` });
    }
    if (doc.errors.length > 0) return;
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) return; // empty document (e.g. a trailing `---`)
    const fail = (path: PathSegment[], message: string) =>
      result.errors.push({ file, document, path: formatPath(path), ...positionOf(doc, lineCounter, path), message });
    if (typeof value !== "object" || Array.isArray(value)) {
      fail([], "expected a Kubernetes object");
      return;
    }
    const obj = value as Record<string, unknown>;
    if (obj.kind === "List" || obj.kind === "AuthorizationPolicyList") {
      if (!Array.isArray(obj.items)) {
        fail(["items"], "expected a list of objects");
        return;
      }
      obj.items.forEach((item, j) => convertObject(item, ["items", j]));
      return;
    }
    convertObject(obj, []);

    function convertObject(item: unknown, at: PathSegment[]): void {
      if (item === null || typeof item !== "object" || Array.isArray(item)) {
        fail(at, "expected a Kubernetes object");
        return;
      }
      const o = item as Record<string, unknown>;
      if (o.kind !== "AuthorizationPolicy") {
        result.skipped.push(`${file}: document ${document}${at.length ? " " + formatPath(at) : ""}: skipped kind ${String(o.kind)}`);
        return;
      }
      const before = result.errors.length;
      if (typeof o.apiVersion !== "string" || !API_VERSIONS.includes(o.apiVersion)) {
        fail([...at, "apiVersion"], `expected one of ${API_VERSIONS.join(", ")}, found ${JSON.stringify(o.apiVersion)}`);
      }
      for (const issue of validate(o)) fail([...at, ...issue.path], issue.message);
      const metadata = (o.metadata ?? {}) as Record<string, unknown>;
      if (typeof metadata.name !== "string" || metadata.name === "") fail([...at, "metadata", "name"], "required");
      const annotations = (metadata.annotations ?? {}) as Record<string, unknown>;
      const dryRunText = annotations[DRY_RUN_ANNOTATION];
      let dryRun: boolean | null = false;
      if (typeof dryRunText === "string") {
        dryRun = parseGoBool(dryRunText);
        if (dryRun === null) {
          fail([...at, "metadata", "annotations", DRY_RUN_ANNOTATION], `expected a boolean ("true"/"false"), found "${dryRunText}"`);
        }
      }
      const namespace = typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : defaultNamespace;
      const spec = o.spec === null || o.spec === undefined ? {} : (o.spec as Record<string, unknown>);
      const name = metadata.name as string;
      const entry: PolicyEntry = dryRun ? { name, namespace, dryRun: true, spec } : { name, namespace, spec };
      const origin: PolicyOrigin = { file, document, objectPath: at, key: `${namespace}/${name}`, doc, lineCounter };
      if (result.errors.length > before) {
        result.invalid.push({ entry, origin });
        return;
      }
      result.policies.push(entry);
      result.origins.push(origin);
    }
  });
  return result;
}

/** Finds the source location of a path inside a converted policy (`spec.rules[0]...`). */
export function locate(origin: PolicyOrigin, pathInPolicy: PathSegment[]): { path: string; line?: number; col?: number } {
  const full = [...origin.objectPath, ...pathInPolicy];
  return { path: formatPath(full), ...positionOf(origin.doc, origin.lineCounter, full) };
}

/** Parses a JSON path like `$.policies[3].spec.rules[0].to` into segments. */
export function parseJsonPath(path: string): PathSegment[] | null {
  if (!path.startsWith("$")) return null;
  const out: PathSegment[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) return null;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(m[3]) as string);
  }
  return out;
}
