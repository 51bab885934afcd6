// Where each value of a loaded config came from, and how a JSON path is printed.

export interface Position {
  line: number; // 1-based
  col: number; // 1-based
}

/** Positions of one object's or array's children: the key (for objects) and the value. */
export interface ChildPositions {
  self: Position;
  keys: Map<string, { key: Position; value: Position }>;
  items: Position[];
}

/** Source positions of every object and array of a loaded document, looked up by the JS object itself. */
export class SourceMap {
  private readonly byNode = new WeakMap<object, ChildPositions>();

  set(node: object, positions: ChildPositions): void {
    this.byNode.set(node, positions);
  }

  /** Position of `parent[key]` (the key itself when `ofKey`), else of the parent, else line 1. */
  at(parent: unknown, key?: string | number, ofKey = false): Position {
    const p = parent !== null && typeof parent === "object" ? this.byNode.get(parent) : undefined;
    if (!p) return { line: 1, col: 1 };
    if (typeof key === "number") return p.items[key] ?? p.self;
    if (typeof key === "string") {
      const k = p.keys.get(key);
      if (k) return ofKey ? k.key : k.value;
    }
    return p.self;
  }
}

const simpleKey = /^[A-Za-z_@][A-Za-z0-9_@]*$/;

/** Append an object key or array index to a printed JSON path: `a.b[0]["envoy.lb"]`. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  if (!simpleKey.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}
