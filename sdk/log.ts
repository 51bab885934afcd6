// Logging gated by a cached copy of Envoy's `wasm` logger level.
//
// The level is read with proxy_get_log_level when a root context is created, on every configure and on every
// tick (the dispatcher calls refreshLogLevel). Messages below it are never sent, and callers build strings only
// after checking: `if (log.enabled(LogLevel.Debug)) log.debug("x=" + x.toString());` — a literal message needs
// no check (`log.debug("literal")` costs nothing when debug is off).
import { LogLevel } from "./types";
import { getLogLevel, logMessage } from "./hostcalls";

// Until the first refresh (only during _initialize, where proxy_get_log_level is not allowed) everything is
// passed on and Envoy filters it.
let cachedLevel: i32 = LogLevel.Trace;

/** Re-reads Envoy's level (0..5, or 6 = off). Called by the dispatcher; filters need not call it. */
export function refreshLogLevel(): void {
  const level = getLogLevel();
  if (level >= 0) cachedLevel = level;
}

export namespace log {
  /** Envoy's level as last read (LogLevel.Off = 6 when the logger is off). */
  export function level(): LogLevel {
    return <LogLevel>cachedLevel;
  }

  /** True when a message at `level` would be logged. Check this before building a message string. */
  // @ts-ignore: decorator
  @inline export function enabled(level: LogLevel): bool {
    return <i32>level >= cachedLevel;
  }

  export function trace(message: string): void {
    if (enabled(LogLevel.Trace)) logMessage(LogLevel.Trace, message);
  }
  export function debug(message: string): void {
    if (enabled(LogLevel.Debug)) logMessage(LogLevel.Debug, message);
  }
  export function info(message: string): void {
    if (enabled(LogLevel.Info)) logMessage(LogLevel.Info, message);
  }
  export function warn(message: string): void {
    if (enabled(LogLevel.Warn)) logMessage(LogLevel.Warn, message);
  }
  export function error(message: string): void {
    if (enabled(LogLevel.Error)) logMessage(LogLevel.Error, message);
  }
  export function critical(message: string): void {
    if (enabled(LogLevel.Critical)) logMessage(LogLevel.Critical, message);
  }
}
