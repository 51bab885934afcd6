// A finding of a command that reads a config or scenario file: where it is (file, line:col, JSON path) and what is wrong.
import type { Position } from "./location.ts";

export type Severity = "error" | "warning";

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** JSON path inside the config, e.g. `static_resources.clusters[0].lb_policy` ("" for the document). */
  path: string;
  message: string;
  severity: Severity;
  /** Other paths that reach the same source (YAML aliases of an anchored value), when there are any. */
  alsoAt?: string[];
}

/** Collects the findings of one file. */
export class Report {
  readonly diagnostics: Diagnostic[] = [];
  /** Findings by source position and message: a YAML anchor's value reached again through an alias. */
  private readonly bySource = new Map<string, Diagnostic>();
  constructor(readonly file: string) {}

  error(path: string, at: Position, message: string): void {
    this.add({ file: this.file, line: at.line, col: at.col, path, message, severity: "error" });
  }

  warning(path: string, at: Position, message: string): void {
    this.add({ file: this.file, line: at.line, col: at.col, path, message, severity: "warning" });
  }

  /** One finding per source position: the same text found again under another path (an alias) is noted, not repeated. */
  private add(d: Diagnostic): void {
    const known = d.line > 1 || d.col > 1;
    const key = `${d.severity}:${d.line}:${d.col}:${d.message}`;
    const first = known ? this.bySource.get(key) : undefined;
    if (first) {
      (first.alsoAt ??= []).push(d.path);
      return;
    }
    if (known) this.bySource.set(key, d);
    this.diagnostics.push(d);
  }

  get errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === "error").length;
  }
}

/** `<file>:<line>:<col>: [warning: ]<json.path>: <message>` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path === "" ? "(document)" : d.path;
  const aliases = d.alsoAt?.length ? ` (also reached through a YAML alias as ${d.alsoAt.join(", ")})` : "";
  return `${d.file}:${d.line}:${d.col}: ${d.severity === "warning" ? "warning: " : ""}${where}: ${d.message}${aliases}`;
}
