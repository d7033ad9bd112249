/**
 * The polling loop shared by the port wait and the readiness wait: probe,
 * report "Still waiting ..." every few seconds, give up at a deadline.
 */
export interface WaitLoop<T> {
  timeoutMs: number;
  pollEveryMs: number;
  reportEveryMs: number;
  /** The items still pending; an empty list means done. May throw to abort the wait. */
  pending(): Promise<T[]>;
  onStillWaiting(pending: T[]): void;
  /** After every probe, with what is still pending (empty once done): a live progress line. */
  onProgress?(pending: T[]): void;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves to the items still pending at the deadline (an empty list when everything finished in time). */
export async function waitLoop<T>(loop: WaitLoop<T>): Promise<T[]> {
  const started = Date.now();
  let nextReport = started + loop.reportEveryMs;
  for (;;) {
    const pending = await loop.pending();
    loop.onProgress?.(pending);
    if (pending.length === 0) return [];
    const now = Date.now();
    if (now - started >= loop.timeoutMs) return pending;
    if (now >= nextReport) {
      loop.onStillWaiting(pending);
      nextReport += loop.reportEveryMs;
    }
    await sleep(Math.min(loop.pollEveryMs, Math.max(0, started + loop.timeoutMs - now)));
  }
}
