// A plugin configuration embedded as a JSON string (StringValue `value: |` or a quoted scalar) is parsed by the
// module, whose errors count characters into that string ("offset 124"). This finds the YAML line and column of
// such an offset, so the finding points into the editor where the mistake is.
import type { Position } from "../../common/location.ts";

/**
 * Where character `offset` of the string scalar `text` lies in `source`, given the scalar's own position `at`;
 * null when the scalar's layout cannot be followed exactly (folded `>` blocks, escapes before the offset).
 */
export function positionInScalar(source: string, at: Position, text: string, offset: number): Position | null {
  if (offset < 0 || offset > text.length) return null;
  const lines = source.split(/\r?\n/);
  const first = lines[at.line - 1];
  if (first === undefined) return null;
  const start = first.slice(at.col - 1);
  const before = text.slice(0, offset);
  const lineIndex = before.split("\n").length - 1;
  const column = offset - (before.lastIndexOf("\n") + 1);

  if (/^\|[-+0-9]*\s*(#.*)?$/.test(start)) {
    // Literal block: content from the next line on, each line keeping the text's own line breaks.
    const contentLine = at.line + 1 + lineIndex;
    const firstContent = lines.slice(at.line).find((l) => l.trim() !== "");
    if (firstContent === undefined || lines[contentLine - 1] === undefined) return null;
    const indent = firstContent.length - firstContent.trimStart().length;
    return { line: contentLine, col: indent + column + 1 };
  }
  if (lineIndex > 0) return null;
  if (start.startsWith("'") || start.startsWith('"')) {
    return start.slice(1, 1 + offset) === before ? { line: at.line, col: at.col + 1 + offset } : null;
  }
  return start.slice(0, offset) === before ? { line: at.line, col: at.col + offset } : null;
}
