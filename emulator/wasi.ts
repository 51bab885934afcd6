// The WASI subset Envoy registers under both `wasi_unstable` and `wasi_snapshot_preview1`, with
// proxy-wasm-cpp-host's behaviour (src/exports.cc wasi_unstable_*): fd_write/fd_pwrite to stdout/stderr become
// info/error log lines (one trailing newline dropped, nothing logged for an empty write), files and sockets are
// refused with fixed errnos, clocks read Envoy's time, poll_oneoff reports zero events and succeeds, and
// proc_exit/fd_seek/fd_close only log at trace (Envoy Context::error) and return.
import { randomFillSync } from "node:crypto";
import type { WasmMemory } from "./memory.ts";
import type { LogSink } from "./logs.ts";
import { WASI_IMPORTS } from "./imports.ts";

const SUCCESS = 0, BADF = 8, NOTDIR = 20, FAULT = 21, INVAL = 28, NOENT = 44, NOSYS = 52, NOTSUP = 58;
const RANDOM_GET_MAX_BYTES = 64 * 1024; // include/proxy-wasm/limits.h PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES

/** What the WASI functions use of a VM (vm.ts implements it). */
export interface WasiVm {
  readonly mem: WasmMemory;
  readonly host: { readonly logSink: LogSink; readonly clock: { nowNanos(): bigint; monotonicNanos(): bigint } };
  /** The context of the current callback (log lines carry its prefix). */
  readonly active: { logPrefix(): string };
  readonly worker: number;
  readonly environment: Record<string, string>;
}

export function wasiFunctions(vm: WasiVm): Record<string, (...args: any[]) => number | void> {
  const mem = vm.mem;
  const host = vm.host;
  const isStdio = (fd: number) => fd === 1 || fd === 2;
  const traceError = (message: string) => host.logSink.hostLog("trace", message);

  /** writevImpl: gather the iovecs and log them; errno, with the byte count in `written`. */
  const written = { n: 0 };
  const writev = (fd: number, iovs: number, iovsLen: number): number => {
    if (!isStdio(fd)) return BADF;
    mem.refresh();
    let text = "";
    let n = 0;
    for (let i = 0; i < iovsLen >>> 0; i++) {
      if (!mem.inRange((iovs >>> 0) + i * 8, 8)) return FAULT;
      const ptr = mem.readU32(iovs + i * 8), len = mem.readU32(iovs + i * 8 + 4);
      if (len === 0) continue;
      const s = mem.string(ptr, len);
      if (s === null) return FAULT;
      text += s;
      n += len;
    }
    if (n > 0) {
      if (text.endsWith("\n")) text = text.slice(0, -1);
      const ctx = vm.active;
      host.logSink.wasmLog(fd === 1 ? 2 : 4, ctx.logPrefix(), text, vm.worker);
    }
    written.n = n;
    return SUCCESS;
  };

  const fns: Record<string, (...args: any[]) => number | void> = {
    fd_write(fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number {
      const r = writev(fd, iovs, iovsLen);
      if (r !== SUCCESS) return r;
      return mem.writeU32(nwrittenPtr, written.n) ? SUCCESS : FAULT;
    },
    fd_pwrite(fd: number, iovs: number, iovsLen: number, _offset: bigint, nwrittenPtr: number): number {
      const r = writev(fd, iovs, iovsLen);
      if (r !== SUCCESS) return r;
      return mem.writeU32(nwrittenPtr, written.n) ? SUCCESS : FAULT;
    },
    fd_read: () => NOSYS,
    fd_pread: () => NOSYS,
    fd_seek: () => { traceError("wasi_unstable fd_seek"); return SUCCESS; },
    fd_close: () => { traceError("wasi_unstable fd_close"); return SUCCESS; },
    fd_fdstat_get(fd: number, statOut: number): number {
      if (!isStdio(fd)) return BADF;
      // {filetype 0, flags 0, fs_rights_base = __WASI_RIGHTS_FD_WRITE (64), fs_rights_inheriting 0}
      const stat = new Uint8Array(24);
      stat[8] = 64;
      mem.write(statOut, stat);
      return SUCCESS;
    },
    fd_fdstat_set_flags: () => NOSYS,
    fd_fdstat_set_rights: (fd: number) => (isStdio(fd) ? SUCCESS : BADF),
    fd_advise: () => SUCCESS,
    fd_allocate: (fd: number) => (isStdio(fd) ? SUCCESS : BADF),
    fd_datasync: (fd: number) => (isStdio(fd) ? SUCCESS : BADF),
    fd_sync: (fd: number) => (isStdio(fd) ? SUCCESS : BADF),
    fd_filestat_set_size: (fd: number) => (isStdio(fd) ? SUCCESS : BADF),
    fd_filestat_set_times: (fd: number) => (isStdio(fd) ? SUCCESS : BADF),
    fd_filestat_get: () => BADF,
    fd_tell(fd: number, retPtr: number): number {
      if (!isStdio(fd)) return BADF;
      return mem.writeU64(retPtr, 0n) ? SUCCESS : FAULT;
    },
    fd_readdir(_fd: number, _buf: number, _len: number, _cookie: bigint, nreadPtr: number): number {
      return mem.writeU32(nreadPtr, 0) ? NOTDIR : FAULT;
    },
    fd_renumber: (fd: number, to: number) => (isStdio(fd) && isStdio(to) ? NOTSUP : BADF),
    fd_prestat_get: () => BADF,
    fd_prestat_dir_name: () => NOSYS,
    path_open: () => NOENT,
    path_filestat_get: () => NOTSUP,
    path_create_directory: () => NOTSUP,
    path_filestat_set_times: () => NOTSUP,
    path_link: () => NOTSUP,
    path_readlink(_fd: number, _p: number, _pl: number, _b: number, _bl: number, retPtr: number): number {
      return mem.writeU32(retPtr, 0) ? NOTSUP : FAULT;
    },
    path_remove_directory: () => NOTSUP,
    path_rename: () => NOTSUP,
    path_symlink: () => NOTSUP,
    path_unlink_file: () => NOTSUP,
    sock_accept(_fd: number, _flags: number, retPtr: number): number {
      return mem.writeU64(retPtr, 0n) ? NOTSUP : FAULT;
    },
    sock_recv(_fd: number, _d: number, _dl: number, _f: number, retPtr0: number, retPtr1: number): number {
      if (!mem.writeU32(retPtr0, 0)) return FAULT;
      return mem.write(retPtr1, new Uint8Array(2)) ? NOTSUP : FAULT;
    },
    sock_send(_fd: number, _d: number, _dl: number, _f: number, retPtr: number): number {
      return mem.writeU32(retPtr, 0) ? NOTSUP : FAULT;
    },
    sock_shutdown: () => NOTSUP,
    environ_sizes_get(countPtr: number, sizePtr: number): number {
      const entries = Object.entries(vm.environment);
      let size = 0;
      for (const [k, v] of entries) size += Buffer.byteLength(k) + Buffer.byteLength(v) + 2;
      return mem.writeU32(countPtr, entries.length) && mem.writeU32(sizePtr, size) ? SUCCESS : FAULT;
    },
    environ_get(environPtr: number, bufPtr: number): number {
      let p = bufPtr >>> 0;
      let slot = environPtr >>> 0;
      for (const [k, v] of Object.entries(vm.environment)) {
        const b = Buffer.from(`${k}=${v}\u0000`);
        if (!mem.writeU32(slot, p) || !mem.write(p, b)) return FAULT;
        p += b.length;
        slot += 4;
      }
      return SUCCESS;
    },
    args_sizes_get(argcPtr: number, sizePtr: number): number {
      return mem.writeU32(argcPtr, 0) && mem.writeU32(sizePtr, 0) ? SUCCESS : FAULT;
    },
    args_get: () => SUCCESS,
    clock_time_get(id: number, _precision: bigint, retPtr: number): number {
      let t: bigint;
      if (id === 0) t = host.clock.nowNanos();
      else if (id === 1) t = host.clock.monotonicNanos();
      else return NOTSUP;
      return mem.writeU64(retPtr, t) ? SUCCESS : FAULT;
    },
    clock_res_get(id: number, retPtr: number): number {
      if (id !== 0 && id !== 1) return NOTSUP;
      return mem.writeU64(retPtr, 1n) ? SUCCESS : FAULT;
    },
    random_get(ptr: number, len: number): number {
      len >>>= 0;
      if (len > RANDOM_GET_MAX_BYTES) return INVAL;
      if (len === 0) return SUCCESS;
      const v = mem.view(ptr, len);
      if (!v) return FAULT;
      randomFillSync(v);
      return SUCCESS;
    },
    sched_yield: () => SUCCESS,
    // No event polling: nevents = 0 and success (the Go runtime requires ESUCCESS; cpp-host issue #497).
    poll_oneoff(_in: number, _out: number, _n: number, neventsPtr: number): number {
      return mem.writeU32(neventsPtr, 0) ? SUCCESS : FAULT;
    },
    proc_exit(_code: number): void { traceError("wasi_unstable proc_exit"); },
  };
  for (const name of Object.keys(WASI_IMPORTS)) {
    if (!(name in fns)) throw new Error(`WASI import ${name} has no implementation`);
  }
  return fns;
}
