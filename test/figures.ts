// Figures some tests measure along the way (host calls per request, per connection) are printed only on request,
//   AMBIENT_WASM_FIGURES=1 npx vitest run <file>
// so test output carries no dumps; the assertions on them hold either way.
export function showFigure(label: string, value: unknown): void {
  if (!process.env.AMBIENT_WASM_FIGURES) return;
  process.stderr.write(`${label} ${typeof value === "string" ? value : JSON.stringify(value)}\n`);
}
