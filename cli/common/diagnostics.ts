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
}

/** Collects the findings of one file. */
export class Report {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly file: string) {}

  error(path: string, at: Position, message: string): void {
    this.diagnostics.push({ file: this.file, line: at.line, col: at.col, path, message, severity: "error" });
  }

  warning(path: string, at: Position, message: string): void {
    this.diagnostics.push({ file: this.file, line: at.line, col: at.col, path, message, severity: "warning" });
  }

  get errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === "error").length;
  }
}

/** `<file>:<line>:<col>: [warning: ]<json.path>: <message>` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path === "" ? "(document)" : d.path;
  return `${d.file}:${d.line}:${d.col}: ${d.severity === "warning" ? "warning: " : ""}${where}: ${d.message}`;
}
