// Checks an object against a Kubernetes CRD structural schema (OpenAPI v3 subset: type, properties, required,
// additionalProperties, items, enum, pattern, min/maxLength, minimum/maximum, maxItems, maxProperties, nullable,
// x-kubernetes-preserve-unknown-fields), rejecting unknown fields as `kubectl apply` (strict field validation)
// does. CEL rules (x-kubernetes-validations) are not evaluated; they are counted so a test can say so.
export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  maxProperties?: number;
  nullable?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-validations"?: unknown[];
}

export interface SchemaResult {
  errors: string[];
  celRulesNotEvaluated: number;
}

export function checkSchema(value: unknown, schema: SchemaNode, path = ""): SchemaResult {
  const result: SchemaResult = { errors: [], celRulesNotEvaluated: 0 };
  walk(value, schema, path || ".", result);
  return result;
}

function walk(value: unknown, s: SchemaNode, path: string, r: SchemaResult): void {
  r.celRulesNotEvaluated += s["x-kubernetes-validations"]?.length ?? 0;
  const err = (m: string): void => void r.errors.push(`${path}: ${m}`);
  if (value === null) {
    if (!s.nullable) err("must not be null");
    return;
  }
  if (s.enum && !s.enum.includes(value)) err(`must be one of ${s.enum.join(", ")}`);
  switch (s.type) {
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) return err("must be an object");
      const obj = value as Record<string, unknown>;
      for (const k of s.required ?? []) if (!(k in obj)) err(`required field "${k}" is missing`);
      if (s.maxProperties !== undefined && Object.keys(obj).length > s.maxProperties) err(`more than ${s.maxProperties} properties`);
      for (const [k, v] of Object.entries(obj)) {
        const child = s.properties?.[k] ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : undefined);
        if (child) walk(v, child, `${path === "." ? "" : path}.${k}`, r);
        else if (!s["x-kubernetes-preserve-unknown-fields"] && s.additionalProperties !== true) err(`unknown field "${k}"`);
      }
      return;
    }
    case "array":
      if (!Array.isArray(value)) return err("must be an array");
      if (s.maxItems !== undefined && value.length > s.maxItems) err(`more than ${s.maxItems} items`);
      if (s.items) value.forEach((v, i) => walk(v, s.items!, `${path}[${i}]`, r));
      return;
    case "string":
      if (typeof value !== "string") return err("must be a string");
      if (s.minLength !== undefined && value.length < s.minLength) err(`shorter than ${s.minLength}`);
      if (s.maxLength !== undefined && value.length > s.maxLength) err(`longer than ${s.maxLength}`);
      if (s.pattern !== undefined && !new RegExp(s.pattern).test(value)) err(`does not match ${s.pattern}`);
      return;
    case "integer":
    case "number":
      if (typeof value !== "number" || (s.type === "integer" && !Number.isInteger(value))) return err(`must be an ${s.type}`);
      if (s.minimum !== undefined && value < s.minimum) err(`less than ${s.minimum}`);
      if (s.maximum !== undefined && value > s.maximum) err(`greater than ${s.maximum}`);
      return;
    case "boolean":
      if (typeof value !== "boolean") err("must be a boolean");
      return;
  }
}
