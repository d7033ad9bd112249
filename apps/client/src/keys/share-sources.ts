/**
 * Which hubs a gather asks first. k shares recover a key and their digest
 * tells whether they are right, so the first round asks only as many hubs as
 * are still missing; the rest are asked only when that round falls short (a
 * hub down, a share missing or wrong). The first round starts one hub further
 * on at each gather, so every hub carries its part of the fetches, and hubs
 * that are not ready (unregistered, or not answering at the last call) come
 * last.
 *
 * k = 1 has no digest: a wrong share could not be told from the key, so every
 * hub is asked at once and the value most of them agree on wins.
 */
export interface ShareSourcePlan<T> {
  /** Asked at once. */
  first: T[];
  /** Asked only when the first round does not recover every key. */
  rest: T[];
}

export function planShareSources<T>(hubs: readonly T[], options: { start: number; k: number; kept: number; ready: (hub: T) => boolean }): ShareSourcePlan<T> {
  const n = hubs.length;
  const rotated = n === 0 ? [] : hubs.map((_, i) => hubs[(options.start + i) % n]);
  const ordered = [...rotated.filter(options.ready), ...rotated.filter((hub) => !options.ready(hub))];
  const firstCount = options.k === 1 ? n : Math.max(0, options.k - options.kept);
  return { first: ordered.slice(0, firstCount), rest: ordered.slice(firstCount) };
}
