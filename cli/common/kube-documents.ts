// Kubernetes objects as `kubectl get -o yaml` prints them (one object per document, or a `List` / `<Kind>List` with
// `items`), each with where it came from, so every message can say `file:line:col: document N: path: reason`.
import { LineCounter, parseAllDocuments, type Document } from "yaml";

export type PathSegment = string | number;

/** Where an object came from. */
export interface ObjectOrigin {
  file: string;
  /** 1-based document number in the file. */
  document: number;
  /** Path of the object inside the document (`[]`, or `["items", 3]` for a List). */
  objectPath: PathSegment[];
  doc: Document;
  lineCounter: LineCounter;
}

export interface KubeObject {
  value: Record<string, unknown>;
  origin: ObjectOrigin;
}

/** An error, warning or note about the input: `file:line:col: document N: path: message`. */
export interface InputMessage {
  file: string;
  document?: number;
  path?: string;
  line?: number;
  col?: number;
  message: string;
}

export function formatMessage(e: InputMessage): string {
  let where = e.file;
  if (e.line !== undefined) where += `:${e.line}` + (e.col !== undefined ? `:${e.col}` : "");
  if (e.document !== undefined) where += `: document ${e.document}`;
  if (e.path) where += `: ${e.path}`;
  return `${where}: ${e.message}`;
}

/** `spec.rules[0].to`, `metadata.labels["app.kubernetes.io/name"]`. */
export function formatPath(path: PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += (out ? "." : "") + seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || "(document)";
}

/** Line and column of the deepest node of `path` that exists (a missing field points at its parent). */
export function positionOf(doc: Document, lineCounter: LineCounter, path: PathSegment[]): { line?: number; col?: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    const range = node && typeof node === "object" ? node.range : undefined;
    if (range) return lineCounter.linePos(range[0]);
  }
  return {};
}

/** A message about `path` inside an object (relative to the object). */
export function messageAt(origin: ObjectOrigin, path: PathSegment[], message: string): InputMessage {
  const full = [...origin.objectPath, ...path];
  return { file: origin.file, document: origin.document, path: formatPath(full), ...positionOf(origin.doc, origin.lineCounter, full), message };
}

/**
 * Every object of a YAML stream. YAML errors, documents that are not objects and lists without `items` become
 * errors; empty documents (a trailing `---`) are skipped.
 */
export function readKubeObjects(file: string, text: string): { objects: KubeObject[]; errors: InputMessage[] } {
  const objects: KubeObject[] = [];
  const errors: InputMessage[] = [];
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  if (!Array.isArray(docs)) return { objects, errors: [{ file, message: "not a YAML document stream" }] };
  docs.forEach((doc, i) => {
    const document = i + 1;
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      errors.push({ file, document, line: pos?.line, col: pos?.col, message: `YAML: ${err.message.split("\n")[0].replace(/ at line \d+, column \d+/, "").replace(/:\s*$/, "")}` });
    }
    if (doc.errors.length > 0) return;
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) return;
    const origin = (objectPath: PathSegment[]): ObjectOrigin => ({ file, document, objectPath, doc, lineCounter });
    const add = (item: unknown, at: PathSegment[]) => {
      if (item === null || typeof item !== "object" || Array.isArray(item)) errors.push(messageAt(origin(at), [], "expected a Kubernetes object"));
      else objects.push({ value: item as Record<string, unknown>, origin: origin(at) });
    };
    if (typeof value === "object" && !Array.isArray(value) && typeof (value as { kind?: unknown }).kind === "string" && /List$/.test((value as { kind: string }).kind)) {
      const items = (value as { items?: unknown }).items;
      if (!Array.isArray(items)) errors.push(messageAt(origin([]), ["items"], "expected a list of objects"));
      else items.forEach((item, j) => add(item, ["items", j]));
      return;
    }
    add(value, []);
  });
  return { objects, errors };
}
