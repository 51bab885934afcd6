// What every e2e file needs: one entry per pinned Envoy version with the prerequisites settled (under CI=true a
// missing Envoy, root or namespace support throws; elsewhere the suite is skipped with the reason printed), and
// Prometheus sample lookups by exact label set.
import { pinnedVersions, type Envoy } from "../../envoy/provision.ts";
import { parseSample } from "../../envoy/mesh/proxy.ts";
import { envoyPrerequisite, namespacesPrerequisite } from "../envoy/prerequisites.ts";

export interface RealEnvoy {
  version: string;
  envoy?: Envoy;
  /** Why this version cannot run here (not under CI=true, where it throws instead). */
  missing?: string;
}

let namespaces: ReturnType<typeof namespacesPrerequisite> | undefined;

/** The pinned Envoy versions, newest first, for describe.each. */
export function realEnvoys(): RealEnvoy[] {
  namespaces ??= namespacesPrerequisite();
  return pinnedVersions().map((version) => {
    const e = envoyPrerequisite(version);
    return { version, envoy: e.value, missing: e.missing ?? namespaces!.missing };
  });
}

export type Labels = Record<string, string>;

/**
 * The value of the one sample of `name` whose labels are exactly `labels` (same names, same values, same order as
 * Envoy printed them); 0 when there is none. Throws when `name` has samples with the same label values in another
 * order, which would mean the printed label order changed.
 */
export function sampleValue(lines: string[], name: string, labels: Labels): number {
  const want = Object.entries(labels);
  for (const line of lines) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const s = parseSample(line);
    if (s.name !== name || s.labels.length !== want.length) continue;
    if (s.labels.every(([k, v], i) => want[i][0] === k && want[i][1] === v)) return s.value;
  }
  return 0;
}

/** Every sample of `name` whose labels include `partial`. */
export function samples(lines: string[], name: string, partial: Labels = {}): Array<{ labels: Labels; value: number }> {
  return lines
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map(parseSample)
    .filter((s) => s.name === name)
    .map((s) => ({ labels: Object.fromEntries(s.labels), value: s.value }))
    .filter((s) => Object.entries(partial).every(([k, v]) => s.labels[k] === v));
}
