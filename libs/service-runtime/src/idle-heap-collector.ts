import { performance } from 'node:perf_hooks';
import { installedNativeMemory } from '@dske/native-memory';

/** How often the collector looks at the event loop: a node collects 5-10 s after its work stops. */
export const IDLE_CHECK_MS = 5_000;
/** A share of an interval busier than this is work; an idle node's own timers keep it far below. */
export const IDLE_UTILIZATION = 0.02;
/**
 * Quiet time after work before a second, late collection. What work leaves in records kept for minutes is
 * gone by then (a client's delivered key IDs, kept 5 minutes and swept every minute; a hub's shares, kept
 * share_timeout_secs, 60 s by default), and an idle node runs no collection of its own to give it back.
 */
export const LATE_COLLECTION_MS = 7 * 60_000;

/** Cumulative event-loop time in ms, busy and idle (performance.eventLoopUtilization's `active` and `idle`). */
export interface LoopTime {
  active: number;
  idle: number;
}

/**
 * A collection when a node falls idle after work (startIdleHeapCollector's
 * is two full garbage collections in a row; every idle interval then gives
 * native memory back: the C heap's free pages, the bundle's mapped pages).
 * V8 collects the old generation only when allocation pushes it to, so what
 * the start left (the set-up of Nest's modules) and what the last burst of
 * keys left stays resident in a node that then idles: 8-10 MiB per node. The collection takes
 * 10-40 ms, once per idle spell and once more LATE_COLLECTION_MS after it
 * (for the records that expire in between), never while requests keep the
 * loop busy.
 */
export class IdleHeapCollector {
  /** The start is work: the first idle interval collects what it left. */
  private worked = true;
  /** Work since the last late collection: one is due once the node has been quiet for LATE_COLLECTION_MS. */
  private lateDue = false;
  /** Event-loop time since the last work, in ms. */
  private quietMs = 0;
  private last: LoopTime;
  private timer: NodeJS.Timeout | undefined;

  /**
   * `releaseNative` runs in every idle interval, after the collection when there is one. What a collection
   * frees outside V8's own pages (array buffers, OpenSSL's and the compiler's memory) sits in free chunks in the
   * middle of glibc's heap, which free() never gives back: 3-5 MiB per node after a run of keys. And V8's own
   * memory reducer collects again some seconds after `collect`, its marking leaving another 2 MiB there in a
   * hub. A trim takes 1-10 ms when it gives back megabytes, well under one when there is nothing to give back.
   * The pages of the bundle's mapped source (2.2-2.5 MiB, all read by the start) are dropped too: an idle node
   * reads none of it, and a function compiled later reads its own page back from the page cache.
   */
  constructor(
    private readonly collect: () => void,
    private readonly loopTime: () => LoopTime = () => performance.eventLoopUtilization(),
    private readonly releaseNative: () => void = () => undefined,
  ) {
    this.last = loopTime();
  }

  /** Checks every `intervalMs` (a timer that keeps no process alive). */
  start(intervalMs = IDLE_CHECK_MS): this {
    this.stop();
    this.last = this.loopTime();
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the interval since the last: true when it collected. */
  check(): boolean {
    const now = this.loopTime();
    const active = now.active - this.last.active;
    const total = active + (now.idle - this.last.idle);
    this.last = now;
    if (total > 0 && active / total > IDLE_UTILIZATION) {
      this.worked = true;
      this.lateDue = true;
      this.quietMs = 0;
      return false;
    }
    this.quietMs += total;
    let collected = false;
    if (this.worked) {
      this.worked = false;
      collected = true;
    } else if (this.lateDue && this.quietMs >= LATE_COLLECTION_MS) {
      this.lateDue = false;
      collected = true;
    }
    if (collected) this.collect();
    this.releaseNative();
    // Its own time is not work: counted as such, a slow collection would make the next idle interval collect again.
    this.last = this.loopTime();
    return collected;
  }
}

/**
 * Start an IdleHeapCollector when the process may collect (node --expose-gc,
 * one of NODE_RUNTIME_FLAGS); undefined otherwise (a node started by hand
 * without the flag, or a test in process), which changes nothing else.
 * `collected` is told of each collection (a metric). `releaseNative`
 * defaults to the installed @dske/native-memory's (glibc's malloc_trim and
 * the mapped bundle's pages) where it was built and loads; null: none.
 */
export function startIdleHeapCollector(
  gc: unknown = (globalThis as { gc?: unknown }).gc,
  collected: () => void = () => undefined,
  releaseNative?: (() => void) | null,
): IdleHeapCollector | undefined {
  if (typeof gc !== 'function') return undefined;
  const memory = releaseNative === undefined ? installedNativeMemory() : undefined;
  const release =
    memory === undefined
      ? releaseNative
      : () => {
          memory.trimHeap();
          memory.releaseMappedPages();
        };
  return new IdleHeapCollector(
    () => {
      // Twice: the first frees what died, the second moves what lives out of the pages it left sparse (V8 picks
      // the pages to compact by what its last marking found live), so they go back to the system.
      (gc as () => void)();
      (gc as () => void)();
      collected();
    },
    undefined,
    release ?? undefined,
  ).start();
}
