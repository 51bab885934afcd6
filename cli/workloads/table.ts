// The workload table as JSON: the shape the filters parse (lib/workloads.ts readWorkload is the definition; this is
// its TypeScript mirror for the tools that write tables). Whatever a tool writes is loaded into hbone-outbound
// through the emulator before it is printed, so a table the filters would refuse never leaves a tool.

export interface WaypointEntry {
  address: string;
  port?: number;
  identity?: string;
}

export interface ServiceEntry {
  hostname: string;
  vips: string[];
  ports: Array<{ port: number; targetPort: number }>;
  waypoint?: WaypointEntry;
}

export type WorkloadKind = "deployment" | "cronjob" | "pod" | "job";

export interface WorkloadEntry {
  name: string;
  namespace: string;
  kind: WorkloadKind;
  addresses: string[];
  identity: string;
  canonicalService?: string;
  canonicalRevision?: string;
  version?: string;
  cluster?: string;
  hbone?: boolean;
  node?: string;
  waypoint?: WaypointEntry;
  services?: ServiceEntry[];
}
