// Captured Envoy log lines from proxy_log / WASI stdout+stderr (envoy context.cc Context::log:
// "wasm log<prefix>: <message>" at the given spdlog level).
import type { CapturedLog, LogLevelName } from "./types.ts";
import { LOG_LEVEL_NAMES } from "./constants.ts";

export class LogSink {
  readonly entries: CapturedLog[] = [];
  /** spdlog level of Envoy's `wasm` logger (0 trace … 6 off). */
  level: number;
  print: boolean;
  /** Tag module lines with the VM's worker (Host({ workers }) only). */
  private readonly tagWorker: boolean;

  constructor(level: LogLevelName = "trace", print = false, tagWorker = false) {
    this.level = LOG_LEVEL_NAMES.indexOf(level);
    this.print = print;
    this.tagWorker = tagWorker;
  }

  /** Returns false for a level outside 0..5 (proxy_log → BadArgument). */
  wasmLog(levelNum: number, prefix: string, message: string, worker: number): boolean {
    if (levelNum < 0 || levelNum > 5) return false;
    if (levelNum < this.level) return true;
    const entry: CapturedLog = { level: LOG_LEVEL_NAMES[levelNum], message, line: `wasm log${prefix}: ${message}` };
    if (this.tagWorker) entry.worker = worker;
    this.push(entry);
    return true;
  }

  /** A host-side line (VM failures, WASI proc_exit ...). */
  hostLog(level: LogLevelName, message: string): void {
    if (LOG_LEVEL_NAMES.indexOf(level) < this.level) return;
    this.push({ level, message, line: message });
  }

  private push(entry: CapturedLog): void {
    this.entries.push(entry);
    if (this.print) console.log(`[${entry.level}] ${entry.line}`);
  }
}
