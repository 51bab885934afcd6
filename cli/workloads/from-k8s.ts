// Kubernetes objects (pods, services, service accounts, namespaces as `kubectl get -o yaml` prints them) → the
// workload table the filters read. Istio's rules, each from its source:
// - workload name and kind: the pod's controller, a ReplicaSet with the pod-template-hash suffix being its
//   Deployment and a Job with a timestamp suffix its CronJob; `service.istio.io/workload-name` overrides the name
//   (istio/istio:pkg/kube/util.go GetDeployMetaFromPod, GetWorkloadMetaFromPod);
// - canonical service and revision: `service.istio.io/canonical-name` / `-revision`, else `app.kubernetes.io/name`
//   / `version`, else `app` / `version`, else the workload name / "latest" (istio/istio:pkg/model/labels.go,
//   pkg/kube/labels/labels.go);
// - identity: spiffe://<trust domain>/ns/<namespace>/sa/<service account> (istio/istio:pkg/spiffe/spiffe.go);
// - ambient enrolment: `istio.io/dataplane-mode: ambient` on the namespace or the pod, `none` on the pod opting
//   out; host-network pods are never captured (istio/istio:pkg/kube/util.go, cni/pkg/util/podutil.go);
// - waypoints: `istio.io/use-waypoint` (and `istio.io/use-waypoint-namespace`) on the pod, service or namespace,
//   `none` opting out; a namespace's waypoint serves service traffic unless the waypoint says
//   `istio.io/waypoint-for: workload|all`; the waypoint is reached on its Service's address at 15008 and presents
//   the identity of its service account, named after the waypoint (istio/istio:pilot/pkg/serviceregistry/kube/
//   controller/ambient/waypoints.go).
import { messageAt, type InputMessage, type KubeObject, type PathSegment } from "../common/kube-documents.ts";
import type { ServiceEntry, WaypointEntry, WorkloadEntry, WorkloadKind } from "./table.ts";

export interface FromK8sOptions {
  trustDomain: string;
  cluster: string;
  /** DNS suffix of services: <svc>.<ns>.svc.<clusterDomain>. */
  clusterDomain: string;
}

export interface FromK8sResult {
  workloads: WorkloadEntry[];
  errors: InputMessage[];
  /** Objects or parts that were left out, and why. Nothing is dropped without one. */
  notes: InputMessage[];
}

type Obj = Record<string, unknown>;
const HBONE_PORT = 15008;

const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const labelsOf = (o: Obj): Record<string, string> => obj(obj(o.metadata).labels) as Record<string, string>;

interface Indexed<T = Obj> {
  value: T;
  at: KubeObject;
}

function workloadMeta(pod: Obj): { name: string; kind: WorkloadKind; controllerKind?: string } {
  const meta = obj(pod.metadata);
  const labels = labelsOf(pod);
  let name = String(meta.name);
  let kind: WorkloadKind = "pod";
  let controllerKind: string | undefined;
  if (str(meta.generateName)) {
    const controller = arr(meta.ownerReferences).map(obj).find((r) => r.controller === true);
    if (controller && str(controller.name) && str(controller.kind)) {
      name = controller.name as string;
      controllerKind = controller.kind as string;
      const hash = labels["pod-template-hash"];
      if (controllerKind === "ReplicaSet" && hash && name.endsWith(`-${hash}`)) {
        name = name.slice(0, -(hash.length + 1));
        kind = "deployment";
        controllerKind = undefined;
      } else if (controllerKind === "Job") {
        const cron = /^(.+)-\d{8,10}$/.exec(name);
        if (cron) name = cron[1];
        kind = cron ? "cronjob" : "job";
        controllerKind = undefined;
      } else if (controllerKind === "Deployment") {
        kind = "deployment";
        controllerKind = undefined;
      }
    }
  }
  const override = labels["service.istio.io/workload-name"];
  return { name: override ?? name, kind, controllerKind };
}

function canonical(labels: Record<string, string>, workloadName: string): { service: string; revision: string; version?: string } {
  const version = labels["app.kubernetes.io/version"] ?? labels.version;
  return {
    service: labels["service.istio.io/canonical-name"] ?? labels["app.kubernetes.io/name"] ?? labels.app ?? workloadName,
    revision: labels["service.istio.io/canonical-revision"] ?? version ?? "latest",
    version,
  };
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}

export function fromK8s(objects: KubeObject[], options: FromK8sOptions): FromK8sResult {
  const errors: InputMessage[] = [];
  const notes: InputMessage[] = [];
  const pods: Indexed[] = [];
  const services: Indexed[] = [];
  const namespaces = new Map<string, Indexed>();
  const serviceAccounts = new Set<string>();
  let sawServiceAccounts = false;
  const error = (o: KubeObject, path: PathSegment[], m: string) => errors.push(messageAt(o.origin, path, m));
  const note = (o: KubeObject, path: PathSegment[], m: string) => notes.push(messageAt(o.origin, path, m));

  for (const o of objects) {
    const v = o.value;
    const name = str(obj(v.metadata).name);
    const namespace = str(obj(v.metadata).namespace);
    if (!str(v.kind)) {
      error(o, ["kind"], "missing: not a Kubernetes object");
      continue;
    }
    if (!name) {
      error(o, ["metadata", "name"], "missing");
      continue;
    }
    switch (v.kind) {
      case "Pod":
      case "Service":
      case "ServiceAccount":
        if (!namespace) {
          error(o, ["metadata", "namespace"], `missing: a ${v.kind} is namespaced`);
          continue;
        }
        if (v.kind === "Pod") pods.push({ value: v, at: o });
        else if (v.kind === "Service") services.push({ value: v, at: o });
        else (sawServiceAccounts = true), serviceAccounts.add(`${namespace}/${name}`);
        break;
      case "Namespace":
        namespaces.set(name, { value: v, at: o });
        break;
      default:
        note(o, ["kind"], `skipped: kind ${String(v.kind)} is not read (pods, services, service accounts and namespaces are)`);
    }
  }

  const nsLabels = (ns: string): Record<string, string> => (namespaces.has(ns) ? labelsOf(namespaces.get(ns)!.value) : {});
  const serviceByName = new Map(services.map((s) => [`${obj(s.value.metadata).namespace}/${obj(s.value.metadata).name}`, s]));

  /** Whose `istio.io/use-waypoint` applies: the object's own label, else its namespace's. */
  const waypointLabels = (labels: Record<string, string>, at: KubeObject, ns: string): [KubeObject, Record<string, string>, PathSegment[]] => {
    const label: PathSegment[] = ["metadata", "labels", "istio.io/use-waypoint"];
    if (labels["istio.io/use-waypoint"] || !namespaces.has(ns)) return [at, labels, label];
    return [namespaces.get(ns)!.at, nsLabels(ns), label];
  };

  /** The waypoint a `istio.io/use-waypoint` label names, as the table describes it; undefined with an error when unknown. */
  const waypointFor = (owner: KubeObject, labels: Record<string, string>, labelPath: PathSegment[], ns: string, traffic: "service" | "workload"): WaypointEntry | undefined => {
    const name = labels["istio.io/use-waypoint"];
    if (!name || name === "none") return undefined;
    const wns = labels["istio.io/use-waypoint-namespace"] ?? ns;
    const svc = serviceByName.get(`${wns}/${name}`);
    if (!svc) {
      error(owner, labelPath, `names waypoint ${wns}/${name}, but no Service ${wns}/${name} is in the input (the waypoint's address is its Service's)`);
      return undefined;
    }
    const forWhat = labelsOf(svc.value)["istio.io/waypoint-for"] ?? "service";
    if (forWhat !== "all" && forWhat !== traffic) return undefined;
    const ip = str(obj(svc.value.spec).clusterIP);
    if (!ip || ip === "None") {
      error(svc.at, ["spec", "clusterIP"], `waypoint Service ${wns}/${name} has no cluster IP`);
      return undefined;
    }
    return { address: ip, port: HBONE_PORT, identity: `spiffe://${options.trustDomain}/ns/${wns}/sa/${name}` };
  };

  const workloads: WorkloadEntry[] = [];
  for (const { value: pod, at } of pods) {
    const meta = obj(pod.metadata);
    const spec = obj(pod.spec);
    const status = obj(pod.status);
    const ns = meta.namespace as string;
    const podLabels = labelsOf(pod);
    if (spec.hostNetwork === true) {
      note(at, ["spec", "hostNetwork"], "skipped: a host-network pod shares the node's address and is not part of the mesh");
      continue;
    }
    if (status.phase === "Succeeded" || status.phase === "Failed") {
      note(at, ["status", "phase"], `skipped: the pod has ended (${String(status.phase)})`);
      continue;
    }
    const ips = arr(status.podIPs).map((p) => str(obj(p).ip)).filter((x): x is string => !!x);
    if (ips.length === 0 && str(status.podIP)) ips.push(status.podIP as string);
    if (ips.length === 0) {
      note(at, ["status"], "skipped: the pod has no IP yet");
      continue;
    }
    const { name, kind, controllerKind } = workloadMeta(pod);
    if (controllerKind) note(at, ["metadata", "ownerReferences"], `a ${controllerKind}'s pod is written with kind "pod" (the table's kinds are deployment, cronjob, pod, job), name ${name}`);
    const sa = str(spec.serviceAccountName) ?? str(spec.serviceAccount) ?? "default";
    if (sawServiceAccounts && !serviceAccounts.has(`${ns}/${sa}`)) note(at, ["spec", "serviceAccountName"], `service account ${ns}/${sa} is not in the input`);
    const mode = podLabels["istio.io/dataplane-mode"] ?? nsLabels(ns)["istio.io/dataplane-mode"];
    const c = canonical(podLabels, name);
    const w: WorkloadEntry = {
      name, namespace: ns, kind, addresses: ips,
      identity: `spiffe://${options.trustDomain}/ns/${ns}/sa/${sa}`,
      canonicalService: c.service, canonicalRevision: c.revision,
      ...(c.version ? { version: c.version } : {}),
      cluster: options.cluster,
      hbone: podLabels["istio.io/dataplane-mode"] !== "none" && mode === "ambient",
      ...(str(spec.nodeName) ? { node: spec.nodeName as string } : {}),
    };
    const wp = waypointFor(...waypointLabels(podLabels, at, ns), ns, "workload");
    if (wp) w.waypoint = wp;

    const containerPorts = new Map<string, number>();
    for (const container of arr(spec.containers).map(obj)) {
      for (const p of arr(container.ports).map(obj)) if (str(p.name) && typeof p.containerPort === "number") containerPorts.set(p.name as string, p.containerPort);
    }
    const backs: ServiceEntry[] = [];
    for (const { value: svc, at: svcAt } of services) {
      const sMeta = obj(svc.metadata);
      const sSpec = obj(svc.spec);
      if (sMeta.namespace !== ns || !selects(obj(sSpec.selector) as Record<string, string>, podLabels)) continue;
      const hostname = `${String(sMeta.name)}.${ns}.svc.${options.clusterDomain}`;
      const vips = arr(sSpec.clusterIPs).map(str).filter((x): x is string => !!x && x !== "None");
      if (vips.length === 0 && str(sSpec.clusterIP) && sSpec.clusterIP !== "None") vips.push(sSpec.clusterIP as string);
      const ports: ServiceEntry["ports"] = [];
      arr(sSpec.ports).map(obj).forEach((p, i) => {
        if (p.protocol !== undefined && p.protocol !== "TCP") {
          note(svcAt, ["spec", "ports", i, "protocol"], `port ${String(p.port)}/${String(p.protocol)} left out: the mesh carries TCP`);
          return;
        }
        if (typeof p.port !== "number") return error(svcAt, ["spec", "ports", i, "port"], "missing or not a number");
        let target = p.targetPort ?? p.port;
        if (typeof target === "string") {
          const resolved = /^\d+$/.test(target) ? Number(target) : containerPorts.get(target);
          if (resolved === undefined) {
            error(at, ["spec", "containers"], `no container port named "${target}", which service ${ns}/${String(sMeta.name)} port ${p.port} targets (port left out for this pod)`);
            return;
          }
          target = resolved;
        }
        ports.push({ port: p.port, targetPort: target as number });
      });
      if (ports.length === 0) {
        note(svcAt, ["spec", "ports"], `service left out of workload ${ns}/${name}: no TCP port it can reach on pod ${String(meta.name)}`);
        continue;
      }
      const entry: ServiceEntry = { hostname, vips, ports };
      // A waypoint's own Service is never sent through a waypoint (that would loop back into itself).
      const isWaypoint = labelsOf(svc)["gateway.networking.k8s.io/gateway-name"] !== undefined || labelsOf(svc)["istio.io/waypoint-for"] !== undefined;
      const swp = isWaypoint ? undefined : waypointFor(...waypointLabels(labelsOf(svc), svcAt, ns), ns, "service");
      if (swp) entry.waypoint = swp;
      backs.push(entry);
    }
    if (backs.length > 0) w.services = backs;
    workloads.push(w);
  }
  return { workloads, errors, notes };
}
