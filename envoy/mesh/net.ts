// Network namespaces joined by veth pairs on a bridge, for running real Envoys and applications as separate
// "nodes" on one machine. Everything lives inside namespaces this module creates: the bridge sits in its own
// namespace too, so nothing is added to the host's network. Needs root and `ip` (iproute2).
//
// Names are `<prefix><pid>-<n>-<tag>`: a run that crashed leaves namespaces whose pid is dead, and
// removeStaleNamespaces() deletes exactly those (runs of other live processes are left alone).
import { spawnSync } from "node:child_process";

export const NAMESPACE_PREFIX = "aw-e2e-";

export function run(argv: string[], options: { input?: string; allowFail?: boolean } = {}): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", input: options.input, timeout: 30_000 });
  if (r.status !== 0 && !options.allowFail) {
    throw new Error(`\`${argv.join(" ")}\` failed (${r.status ?? r.error}): ${(r.stderr || r.stdout || "").trim()}`);
  }
  return r.stdout ?? "";
}

/** argv run inside a namespace. */
export function nsArgv(ns: string, argv: string[]): string[] {
  return ["ip", "netns", "exec", ns, ...argv];
}

export function listNamespaces(): string[] {
  return run(["ip", "netns", "list"])
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Kills what still runs inside a namespace (processes started in it by a crashed run), then deletes it. */
export function deleteNamespace(ns: string): void {
  const pids = run(["ip", "netns", "pids", ns], { allowFail: true }).split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  run(["ip", "netns", "del", ns], { allowFail: true });
}

/** Deletes namespaces of earlier runs (this module's prefix) whose creating process is no longer alive. */
export function removeStaleNamespaces(prefix = NAMESPACE_PREFIX): string[] {
  const stale = listNamespaces().filter((ns) => {
    if (!ns.startsWith(prefix)) return false;
    const pid = Number(ns.slice(prefix.length).split("-")[0]);
    return !Number.isInteger(pid) || !pidAlive(pid);
  });
  stale.forEach(deleteNamespace);
  return stale;
}

export interface NodeSpec {
  /** Short tag, part of the namespace name ("a", "b", "ext"). */
  tag: string;
  /** Address on the shared segment, e.g. "10.77.0.10/24" (and optionally an IPv6 one). */
  addresses: string[];
  /** Further addresses of the node (pod IPs the node hosts), added to its loopback as /32 or /128. */
  extraAddresses?: string[];
}

export interface Node {
  tag: string;
  ns: string;
  /** argv run inside this node's namespace. */
  argv(argv: string[]): string[];
  exec(argv: string[], input?: string): string;
}

let counter = 0;

/**
 * A bridge namespace and one namespace per node, each node's `eth0` a veth into the bridge. Every node gets an
 * on-link default route, so any address (service VIPs included) leaves through eth0 unless captured first.
 */
export class Network {
  readonly id: string;
  readonly bridgeNs: string;
  readonly nodes = new Map<string, Node>();
  private readonly created: string[] = [];

  constructor(prefix = NAMESPACE_PREFIX) {
    this.id = `${prefix}${process.pid}-${++counter}`;
    this.bridgeNs = `${this.id}-br`;
  }

  private addNamespace(ns: string): void {
    run(["ip", "netns", "add", ns]);
    this.created.push(ns);
    run(["ip", "-n", ns, "link", "set", "lo", "up"]);
  }

  /** Creates the bridge (first call) and the node. */
  addNode(spec: NodeSpec): Node {
    if (this.created.length === 0) {
      this.addNamespace(this.bridgeNs);
      run(["ip", "-n", this.bridgeNs, "link", "add", "br0", "type", "bridge"]);
      run(["ip", "-n", this.bridgeNs, "link", "set", "br0", "up"]);
    }
    const ns = `${this.id}-${spec.tag}`;
    this.addNamespace(ns);
    const port = `v-${spec.tag}`.slice(0, 15);
    run(["ip", "-n", this.bridgeNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    run(["ip", "-n", this.bridgeNs, "link", "set", port, "master", "br0", "up"]);
    // No IPv6 duplicate address detection: addresses are usable at once.
    run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"], { allowFail: true });
    run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
    for (const a of spec.addresses) run(["ip", "-n", ns, "addr", "add", a, "dev", "eth0", ...(a.includes(":") ? ["nodad"] : [])]);
    for (const a of spec.extraAddresses ?? []) {
      const cidr = a.includes("/") ? a : `${a}/${a.includes(":") ? 128 : 32}`;
      run(["ip", "-n", ns, "addr", "add", cidr, "dev", "lo", ...(a.includes(":") ? ["nodad"] : [])]);
    }
    run(["ip", "-n", ns, "route", "add", "default", "dev", "eth0"]);
    if (spec.addresses.some((a) => a.includes(":"))) run(["ip", "-n", ns, "-6", "route", "add", "default", "dev", "eth0"], { allowFail: true });
    const node: Node = {
      tag: spec.tag,
      ns,
      argv: (argv) => nsArgv(ns, argv),
      exec: (argv, input) => run(nsArgv(ns, argv), { input }),
    };
    this.nodes.set(spec.tag, node);
    return node;
  }

  node(tag: string): Node {
    const n = this.nodes.get(tag);
    if (!n) throw new Error(`no node ${tag} in ${this.id}`);
    return n;
  }

  /** Deletes every namespace this network created (processes still inside are killed). Safe to call twice. */
  destroy(): void {
    for (const ns of this.created.splice(0).reverse()) deleteNamespace(ns);
  }
}
