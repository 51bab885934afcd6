// The shape of a Kubernetes AuthorizationPolicy object (security.istio.io/v1 and v1beta1), as a declarative schema.
// Field names follow istio/api security/v1beta1/authorization_policy.proto (JSON names) plus the newer
// `serviceAccounts`/`notServiceAccounts` and `targetRefs`. Anything not listed is an unknown field.

export type PathSegment = string | number;

export interface SchemaIssue {
  path: PathSegment[];
  message: string;
}

type Schema =
  | { type: "string" }
  | { type: "enum"; values: readonly string[]; rejected?: Record<string, string> }
  | { type: "list"; of: Schema }
  | { type: "map"; of: Schema }
  | { type: "object"; fields: Record<string, Schema>; ignored?: readonly string[] }
  | { type: "any" };

const str: Schema = { type: "string" };
const strings: Schema = { type: "list", of: str };

const source: Schema = {
  type: "object",
  fields: Object.fromEntries(
    [
      "principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces", "notNamespaces",
      "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks", "serviceAccounts", "notServiceAccounts",
    ].map((f) => [f, strings]),
  ),
};

const operation: Schema = {
  type: "object",
  fields: Object.fromEntries(
    ["hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths"].map((f) => [f, strings]),
  ),
};

const condition: Schema = { type: "object", fields: { key: str, values: strings, notValues: strings } };

const rule: Schema = {
  type: "object",
  fields: {
    from: { type: "list", of: { type: "object", fields: { source } } },
    to: { type: "list", of: { type: "object", fields: { operation } } },
    when: { type: "list", of: condition },
  },
};

const targetRef: Schema = { type: "object", fields: { group: str, kind: str, name: str, namespace: str } };

/** AuthorizationPolicy `spec`. */
export const specSchema: Schema = {
  type: "object",
  fields: {
    selector: { type: "object", fields: { matchLabels: { type: "map", of: str } } },
    targetRef,
    targetRefs: { type: "list", of: targetRef },
    rules: { type: "list", of: rule },
    // CUSTOM is Istio's; what each enforcement point does with it is decided in enforcement.ts.
    action: { type: "enum", values: ["ALLOW", "DENY", "AUDIT", "CUSTOM"] },
    provider: { type: "object", fields: { name: str } },
  },
};

/** Kubernetes ObjectMeta fields that may appear in manifests (server-populated ones included, then ignored). */
const metadataSchema: Schema = {
  type: "object",
  fields: {
    name: str,
    namespace: str,
    labels: { type: "map", of: str },
    annotations: { type: "map", of: str },
  },
  ignored: [
    "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
    "managedFields", "finalizers", "ownerReferences", "generateName", "selfLink",
  ],
};

/** A whole AuthorizationPolicy document. `status` is written by istiod and carries no policy. */
export const documentSchema: Schema = {
  type: "object",
  fields: { apiVersion: str, kind: str, metadata: metadataSchema, spec: specSchema },
  ignored: ["status"],
};

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  return typeof v === "object" ? "object" : typeof v;
}

/** Checks `value` against `schema`, collecting every issue (unknown fields, wrong types, unsupported values). */
export function validate(value: unknown, schema: Schema = documentSchema, path: PathSegment[] = []): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const add = (message: string, at: PathSegment[] = path) => issues.push({ path: at, message });
  switch (schema.type) {
    case "any":
      break;
    case "string":
      if (typeof value !== "string") add(`expected a string, found ${typeName(value)}`);
      break;
    case "enum":
      if (typeof value !== "string") add(`expected a string, found ${typeName(value)}`);
      else if (schema.rejected?.[value]) add(schema.rejected[value]);
      else if (!schema.values.includes(value)) add(`unknown value "${value}" (expected one of ${schema.values.join(", ")})`);
      break;
    case "list":
      if (value === null) break; // YAML `field:` with nothing after it is an empty list
      if (!Array.isArray(value)) add(`expected a list, found ${typeName(value)}`);
      else value.forEach((item, i) => issues.push(...validate(item, schema.of, [...path, i])));
      break;
    case "map":
      if (value === null) break;
      if (typeName(value) !== "object") add(`expected a map, found ${typeName(value)}`);
      else for (const [k, v] of Object.entries(value as object)) issues.push(...validate(v, schema.of, [...path, k]));
      break;
    case "object":
      if (value === null) break;
      if (typeName(value) !== "object") {
        add(`expected an object, found ${typeName(value)}`);
        break;
      }
      for (const [k, v] of Object.entries(value as object)) {
        const field = schema.fields[k];
        if (field) issues.push(...validate(v, field, [...path, k]));
        else if (!schema.ignored?.includes(k)) add(`unknown field "${k}"`, [...path, k]);
      }
      break;
  }
  return issues;
}

/** `spec.rules[0].to[1].operation.ports` */
export function formatPath(path: PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += (out ? "." : "") + seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || "(document)";
}
