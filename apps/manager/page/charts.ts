/** The page's pure drawing arithmetic: pool bars, sparklines, numbers as people read them. */
import type { DashboardEdge, PoolBytes, Snapshot, Thresholds } from '../src/dashboard/snapshot';

export type PoolLevel = 'unknown' | 'empty' | 'low' | 'refilling' | 'full';

/**
 * How full a pool bar is (0..1 of a full pool) and its colour: below the
 * start threshold the client is refilling it (low), between start and stop
 * a refill may still run (refilling), at or above stop it is full.
 */
export function poolBar(unused: PoolBytes, t: Thresholds): { fraction: number; level: PoolLevel } {
  if (unused === null) return { fraction: 0, level: 'unknown' };
  const fraction = Math.max(0, Math.min(1, unused / t.full));
  if (unused === 0) return { fraction, level: 'empty' };
  if (unused < t.start) return { fraction, level: 'low' };
  if (unused < t.stop) return { fraction, level: 'refilling' };
  return { fraction, level: 'full' };
}

/**
 * The pools a refill landed in since the previous picture (more blocks
 * arrived): `client/hub/C` for the pool the client allocates from,
 * `client/hub/H` for the hub's. Counted by blocks, not bytes: a request that
 * drains a pool and the refill it waits for can fall between two pictures.
 */
export function refilledPools(previous: readonly DashboardEdge[] | undefined, current: readonly DashboardEdge[]): Set<string> {
  const before = new Map((previous ?? []).map((e) => [`${e.client}/${e.hub}`, e]));
  const refilled = new Set<string>();
  for (const edge of current) {
    const old = before.get(`${edge.client}/${edge.hub}`);
    if (old === undefined) continue;
    if (edge.clientPoolRefills > old.clientPoolRefills) refilled.add(`${edge.client}/${edge.hub}/C`);
    if (edge.hubPoolRefills > old.hubPoolRefills) refilled.add(`${edge.client}/${edge.hub}/H`);
  }
  return refilled;
}

/** Height of a threshold mark on a bar of `height`, measured from the bar's top. */
export function thresholdY(threshold: number, t: Thresholds, height: number): number {
  return height - Math.min(1, threshold / t.full) * height;
}

/**
 * An SVG path through `values` (oldest first) in a width x height box, 0 at
 * the bottom and `max` at the top; a null is a gap.
 */
export function sparklinePath(values: ReadonlyArray<number | null>, width: number, height: number, max: number): string {
  if (values.length === 0) return '';
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const top = max > 0 ? max : 1;
  let path = '';
  let drawing = false;
  values.forEach((v, i) => {
    if (v === null) {
      drawing = false;
      return;
    }
    const x = (i * step).toFixed(1);
    const y = (height - (Math.min(v, top) / top) * height).toFixed(1);
    path += `${drawing ? 'L' : 'M'}${x} ${y}`;
    drawing = true;
  });
  return path;
}

/** A chart's top: the largest value, rounded up to 1, 2 or 5 times a power of ten (at least 1). */
export function niceMax(values: ReadonlyArray<number | null>): number {
  const largest = Math.max(1, ...values.filter((v): v is number => v !== null));
  const power = 10 ** Math.floor(Math.log10(largest));
  for (const m of [1, 2, 5, 10]) if (largest <= m * power) return m * power;
  return 10 * power;
}

export function formatBytes(bytes: PoolBytes): string {
  if (bytes === null) return '?';
  if (bytes < 10_000) return `${bytes} B`;
  if (bytes < 10_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export function formatRate(perSecond: number | null): string {
  if (perSecond === null) return '–';
  if (perSecond === 0) return '0';
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond));
}

/** "12 s ago", "3 min ago", from two ISO times. */
export function ago(sinceIso: string, nowIso: string): string {
  const secs = Math.max(0, Math.round((Date.parse(nowIso) - Date.parse(sinceIso)) / 1000));
  if (secs < 90) return `${secs} s ago`;
  if (secs < 5400) return `${Math.round(secs / 60)} min ago`;
  return `${Math.round(secs / 3600)} h ago`;
}

/** The header's line: how many nodes answer, keys per second made now, shares waiting on hubs, pairs whose last call failed. */
export function summaryText(snapshot: Pick<Snapshot, 'nodes' | 'clients' | 'hubs' | 'edges'>): string {
  const up = snapshot.nodes.filter((n) => n.up).length;
  const rate = snapshot.clients.reduce((sum, c) => sum + (latest(c.madePerSecond) ?? 0), 0);
  const held = snapshot.hubs.reduce((sum, h) => sum + (h.sharesHeld ?? 0), 0);
  const unreachable = snapshot.edges.filter((e) => e.reachable === false).length;
  const parts = [`${up} of ${snapshot.nodes.length} nodes up`, `${formatRate(rate)} keys/s`, `${held} shares held`];
  if (unreachable > 0) parts.push(`${unreachable} ${unreachable === 1 ? 'pair' : 'pairs'} not reaching their hub`);
  return parts.join(' · ');
}

/** The latest non-null value of a series, or null. */
export function latest(values: ReadonlyArray<number | null>): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
}
