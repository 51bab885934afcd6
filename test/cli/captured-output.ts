// What a CLI command prints — process.stdout writes, console.log and console.error — captured afresh for every test
// of the file that calls this at its top level.
import { afterEach, beforeEach, vi } from "vitest";

export interface CapturedOutput {
  /** Reset it to "" to look at what a later command prints. */
  out: string;
  err: string;
}

export function captureOutput(): CapturedOutput {
  const captured = { out: "", err: "" };
  beforeEach(() => {
    captured.out = "";
    captured.err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((captured.out += String(s)), true));
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void (captured.out += a.join(" ") + "\n"));
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void (captured.err += a.join(" ") + "\n"));
  });
  afterEach(() => vi.restoreAllMocks());
  return captured;
}
