// The identifiers a new filter's files use, derived from its folder name (lower-case words joined by '-').

export interface FilterNames {
  /** Folder, root id, plugin name: "my-filter". */
  name: string;
  /** AssemblyScript class prefix: "MyFilter". */
  className: string;
  /** Configuration class: "MyFilterConfig". */
  configClass: string;
  /** Metric names: "my_filter". */
  metricPrefix: string;
  /** Response code details: "my_filter". */
  detailsPrefix: string;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** The names derived from `name`, or why it cannot name a filter folder. */
export function filterNames(name: string): FilterNames | string {
  if (!NAME.test(name)) return `'${name}' is not a filter name: use lower-case letters, digits and '-' (e.g. my-filter)`;
  const className = name.split("-").map((w) => w[0].toUpperCase() + w.slice(1)).join("");
  const snake = name.replace(/-/g, "_");
  return { name, className, configClass: `${className}Config`, metricPrefix: snake, detailsPrefix: snake };
}
