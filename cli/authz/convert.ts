// Kubernetes AuthorizationPolicy YAML → identity-rbac plugin configuration.
//
// Each policy keeps its `spec` exactly as written, plus the name and namespace from `metadata` and the
// `istio.io/dry-run` annotation. Structural problems (unknown fields, wrong types, unsupported actions) are
// reported with the file, the document number and the path inside the document.
import { readFileSync } from "node:fs";
import { formatMessage, formatPath, messageAt, readKubeObjects, type InputMessage, type ObjectOrigin, type PathSegment } from "../common/kube-documents.ts";
import { validate } from "./schema.ts";

export interface PolicyEntry {
  name: string;
  namespace: string;
  dryRun?: boolean;
  spec: Record<string, unknown>;
}

/** Where a converted policy came from, for error messages. */
export interface PolicyOrigin extends ObjectOrigin {
  /** `namespace/name`. */
  key: string;
}

/** An error, warning or note about the input: `file:line:col: document N: path: message`. */
/** An error, warning or note about the input: `file:line:col: document N: path: message`. */
export type ConvertError = InputMessage;
export const formatError = formatMessage;

const API_VERSIONS = ["security.istio.io/v1", "security.istio.io/v1beta1"];
const DRY_RUN_ANNOTATION = "istio.io/dry-run";

/** Go's strconv.ParseBool, which istiod uses for the dry-run annotation. */
function parseGoBool(s: string): boolean | null {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return null;
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
  const read = readKubeObjects(file, text);
  result.errors.push(...read.errors);
  for (const { value, origin } of read.objects) convertObject(value, origin);
  return result;

  function convertObject(o: Record<string, unknown>, where: ObjectOrigin): void {
    const fail = (path: PathSegment[], message: string) => result.errors.push(messageAt(where, path, message));
    if (o.kind !== "AuthorizationPolicy") {
      const at = where.objectPath.length ? " " + formatPath(where.objectPath) : "";
      result.skipped.push(`${file}: document ${where.document}${at}: skipped kind ${String(o.kind)}`);
      return;
    }
    const before = result.errors.length;
    if (typeof o.apiVersion !== "string" || !API_VERSIONS.includes(o.apiVersion)) {
      fail(["apiVersion"], `expected one of ${API_VERSIONS.join(", ")}, found ${JSON.stringify(o.apiVersion)}`);
    }
    for (const issue of validate(o)) fail([...issue.path], issue.message);
    const metadata = (o.metadata ?? {}) as Record<string, unknown>;
    if (typeof metadata.name !== "string" || metadata.name === "") fail(["metadata", "name"], "required");
    const annotations = (metadata.annotations ?? {}) as Record<string, unknown>;
    const dryRunText = annotations[DRY_RUN_ANNOTATION];
    let dryRun: boolean | null = false;
    if (typeof dryRunText === "string") {
      dryRun = parseGoBool(dryRunText);
      if (dryRun === null) {
        fail(["metadata", "annotations", DRY_RUN_ANNOTATION], `expected a boolean ("true"/"false"), found "${dryRunText}"`);
      }
    }
    const namespace = typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : defaultNamespace;
    const spec = o.spec === null || o.spec === undefined ? {} : (o.spec as Record<string, unknown>);
    const name = metadata.name as string;
    const entry: PolicyEntry = dryRun ? { name, namespace, dryRun: true, spec } : { name, namespace, spec };
    const origin: PolicyOrigin = { ...where, key: `${namespace}/${name}` };
    if (result.errors.length > before) {
      result.invalid.push({ entry, origin });
      return;
    }
    result.policies.push(entry);
    result.origins.push(origin);
  }
}

/** convertYaml on a file ("-" reads standard input); a file that cannot be read is one error of the result. */
export function convertFile(file: string, defaultNamespace: string): ConvertResult {
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    const message = `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    return { policies: [], origins: [], invalid: [], errors: [{ file, message }], skipped: [] };
  }
  return convertYaml(file, text, defaultNamespace);
}

/** Finds the source location of a path inside a converted policy (`spec.rules[0]...`). */
export function locate(origin: PolicyOrigin, pathInPolicy: PathSegment[]): { path: string; line?: number; col?: number } {
  const { path, line, col } = messageAt(origin, pathInPolicy, "");
  return { path: path!, line, col };
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
