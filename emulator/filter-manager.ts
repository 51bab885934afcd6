// The filter-chain mechanics of one HTTP stream, the part of Envoy's FilterManager
// (envoyproxy/envoy:source/common/http/filter_manager.cc) that does not depend on what a filter is: headers,
// body and trailers iterate over the filter positions of one direction, a stop holds them at a position
// (StopAll also holds the body and trailers arriving later, StopIteration lets body callbacks through, a body
// Continue then resumes the headers; StopIterationAndBuffer accumulates the body and re-delivers all of it), and
// continueDecoding()/continueEncoding() resume from the position that stopped. Whoever owns the stream
// (http-stream.ts) calls the filters and hears what left the chain through FilterCallbacks.
import { HeaderMap } from "./header-map.ts";
import { BodyBuffer } from "./body-buffer.ts";
import { HeadersStatus, DataStatus, TrailersStatus } from "./constants.ts";
import { bytesToString } from "./memory.ts";
import type { ForwardedMessage, HeaderList } from "./types.ts";

/** How a Direction calls the filter at a position and reports what passed the last filter. */
export interface FilterCallbacks {
  /** Calls the headers callback of the filter at position p; returns a HeadersStatus (constants.ts). */
  callHeaders(dir: Direction, p: number): number;
  /** Calls the body callback with the bytes held at p; returns a DataStatus. */
  callData(dir: Direction, p: number, buffer: BodyBuffer, eos: boolean): number;
  /** Calls the trailers callback; returns a TrailersStatus. */
  callTrailers(dir: Direction, p: number): number;
  onSinkHeaders(dir: Direction): void;
  onSinkData(dir: Direction, chunk: Uint8Array): void;
  onSinkTrailers(dir: Direction): void;
}
const EMPTY = new Uint8Array(0);

export class Forwarded implements ForwardedMessage {
  /** The header map as it left the chain; listed on first read (it no longer changes once forwarded). */
  private forwardedMap: HeaderMap | null = null;
  private headerList: HeaderList | null = null;
  body: Uint8Array = EMPTY;
  trailers: HeaderList | null = null;
  endStream = false;
  get headerMap(): HeaderMap | null { return this.forwardedMap; }
  forwardHeaders(map: HeaderMap): void {
    this.forwardedMap = map;
    this.headerList = null;
  }
  get headers(): HeaderList | null {
    if (this.headerList === null && this.forwardedMap !== null) this.headerList = this.forwardedMap.toList();
    return this.headerList;
  }
  set headers(list: HeaderList | null) {
    this.headerList = list;
    this.forwardedMap = list === null ? null : new HeaderMap(list);
  }
  get bodyText(): string { return bytesToString(this.body); }
  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const out = new Uint8Array(this.body.length + chunk.length);
    out.set(this.body); out.set(chunk, this.body.length);
    this.body = out;
  }
}


/** What a filter position holds back in one direction: body bytes, whether it saw them, end of stream. */
class Held {
  readonly body = new BodyBuffer();
  /** The filter was called with (and stopped on) the held bytes. */
  seen = false;
  eos = false;
  /** The filter's body callback returned a stop status. */
  stopped = false;
}

/**
 * One direction (decode or encode) of the filter chain. Positions count in iteration order: decode visits
 * slots 0..n-1, encode n-1..0 (encoder filters are prepended).
 */
export class Direction {
  readonly n: number;
  headers: HeaderMap | null = null;
  headersEos = false;
  /** Position (in iteration order) where headers are held; n once they passed every filter; -1 before. */
  headersPos = -1;
  stopAll = false;
  /** Per position, created when a body first reaches it. */
  private readonly heldAt: Array<Held | undefined>;
  trailers: HeaderMap | null = null;
  trailersPos = -1;
  trailersSeen = false;
  hasTrailers = false;
  halted = false;
  calling = -1;
  continuePending = false;
  addedTrailersAt = -1;
  bytes = 0;

  constructor(readonly stream: FilterCallbacks, readonly response: boolean, n: number, readonly sink: Forwarded) {
    this.n = n;
    this.heldAt = new Array<Held | undefined>(n);
  }

  /** The slot index at a position. */
  slotAt(p: number): number { return this.response ? this.n - 1 - p : p; }
  /** The position of a slot index (the same mapping: it is its own inverse). */
  positionOf(slot: number): number { return this.slotAt(slot); }

  private held(p: number): Held { return (this.heldAt[p] ??= new Held()); }
  private holds(p: number): boolean {
    const h = this.heldAt[p];
    return h !== undefined && (h.stopped || h.body.length > 0);
  }

  get started(): boolean { return this.headersPos !== -1; }

  pushHeaders(map: HeaderMap, eos: boolean): void {
    this.headers = map;
    this.headersEos = eos;
    this.headersPos = 0;
    this.runHeaders(0);
  }

  runHeaders(from: number): void {
    for (let p = from; p < this.n; p++) {
      if (this.halted) return;
      const st = this.stream.callHeaders(this, p);
      if (this.halted) return;
      if (st === HeadersStatus.Continue) continue;
      this.headersPos = p;
      this.stopAll = st !== HeadersStatus.StopIteration;
      return;
    }
    this.headersPos = this.n;
    this.sink.forwardHeaders(this.headers!);
    if (this.headersEos) this.sink.endStream = true;
    this.stream.onSinkHeaders(this);
  }

  private headersHeldAt(p: number): boolean { return this.headersPos === p && p < this.n; }

  pushData(chunk: Uint8Array, eos: boolean): void {
    this.bytes += chunk.length;
    this.runData(0, chunk, eos);
  }

  runData(from: number, chunk: Uint8Array, eos: boolean): void {
    let trailersFrom = -1;
    for (let p = from; p < this.n; p++) {
      if (this.halted) return;
      if (this.headersHeldAt(p) && this.stopAll) {
        const h = this.held(p);
        h.body.append(chunk);
        h.eos = eos;
        h.seen = false;
        if (trailersFrom >= 0) this.runTrailers(trailersFrom);
        return;
      }
      const h = this.held(p);
      h.body.append(chunk);
      const st = this.stream.callData(this, p, h.body, eos);
      if (this.halted) return;
      if (st === DataStatus.Continue) {
        if (this.headersHeldAt(p)) {
          this.runHeaders(p + 1);
          if (this.halted) return;
        }
        chunk = h.body.drainAll();
        h.seen = false;
        h.eos = false;
        h.stopped = false;
        if (this.addedTrailersAt === p) {
          this.addedTrailersAt = -1;
          eos = false;
          trailersFrom = p + 1;
        }
        continue;
      }
      if (st === DataStatus.StopIterationNoBuffer) {
        h.body.drainAll();
        h.eos = eos;
        h.stopped = false;
        return;
      }
      h.stopped = true;
      h.seen = true;
      h.eos = eos;
      return;
    }
    this.sink.append(chunk);
    if (eos) this.sink.endStream = true;
    this.stream.onSinkData(this, chunk);
    if (trailersFrom >= 0) this.runTrailers(trailersFrom);
  }

  pushTrailers(map: HeaderMap): void {
    this.trailers = map;
    this.hasTrailers = true;
    this.runTrailers(0);
  }

  runTrailers(from: number): void {
    for (let p = from; p < this.n; p++) {
      if (this.halted) return;
      if (this.headersHeldAt(p) && this.stopAll) {
        this.trailersPos = p;
        this.trailersSeen = false;
        return;
      }
      const st = this.stream.callTrailers(this, p);
      if (this.halted) return;
      if (st === TrailersStatus.Continue) {
        if (this.headersHeldAt(p)) {
          this.runHeaders(p + 1);
          if (this.halted) return;
        }
        if (this.holds(p)) {
          const h = this.held(p);
          h.stopped = false;
          this.runData(p + 1, h.body.drainAll(), false);
          if (this.halted) return;
        }
        continue;
      }
      this.trailersPos = p;
      this.trailersSeen = true;
      return;
    }
    this.sink.trailers = this.trailers!.toList();
    this.sink.endStream = true;
    this.stream.onSinkTrailers(this);
  }

  /** continueDecoding()/continueEncoding() for the filter at position p. */
  continueAt(p: number): void {
    if (this.halted) return;
    if (this.calling === p) { this.continuePending = true; return; }
    if (this.headersHeldAt(p)) {
      this.runHeaders(p + 1);
      if (this.halted) return;
      const h = this.heldAt[p];
      if (h && (h.body.length || h.eos)) {
        const c = h.body.drainAll();
        const e = h.eos;
        h.eos = false;
        if (!h.seen) this.runData(p, c, e);
        else { h.stopped = false; this.runData(p + 1, c, e); }
        if (this.halted) return;
      }
      if (this.trailersPos === p) {
        this.trailersPos = -1;
        this.runTrailers(this.trailersSeen ? p + 1 : p);
      }
      return;
    }
    const h = this.heldAt[p];
    if (h && h.stopped) {
      h.stopped = false;
      h.seen = false;
      const c = h.body.drainAll();
      const e = h.eos;
      h.eos = false;
      this.runData(p + 1, c, e);
      if (this.halted) return;
      if (this.trailersPos === p) { this.trailersPos = -1; this.runTrailers(p + 1); }
      return;
    }
    if (this.trailersPos === p) { this.trailersPos = -1; this.runTrailers(p + 1); }
  }
}
