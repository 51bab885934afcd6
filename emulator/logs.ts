// Captured Envoy log lines from proxy_log / WASI stdout+stderr (envoy context.cc Context::log:
// "wasm log<prefix>: <message>" at the given spdlog level).
import type { CapturedLog, LogLevelName } from "./index.ts";
import { LOG_LEVEL_NAMES } from "./constants.ts";

export class LogSink {
  readonly entries: CapturedLog[] = [];
  /** spdlog level of Envoy's `wasm` logger (0 trace … 6 off). */
  level: number;
  print: boolean;

  constructor(level: LogLevelName = "trace", print = false) {
    this.level = LOG_LEVEL_NAMES.indexOf(level);
    this.print = print;
  }

  /** Returns false for a level outside 0..5 (proxy_log → BadArgument). */
  wasmLog(levelNum: number, prefix: string, message: string): boolean {
    if (levelNum < 0 || levelNum > 5) return false;
    if (levelNum < this.level) return true;
    this.push(LOG_LEVEL_NAMES[levelNum], message, `wasm log${prefix}: ${message}`);
    return true;
  }

  /** A host-side line (VM failures, WASI proc_exit ...). */
  hostLog(level: LogLevelName, message: string): void {
    if (LOG_LEVEL_NAMES.indexOf(level) < this.level) return;
    this.push(level, message, message);
  }

  private push(level: LogLevelName, message: string, line: string): void {
    this.entries.push({ level, message, line });
    if (this.print) console.log(`[${level}] ${line}`);
  }
}
