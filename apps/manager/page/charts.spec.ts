import { describe, expect, it } from 'vitest';
import { ago, formatBytes, formatRate, latest, refilledPools, summaryText, niceMax, poolBar, sparklinePath, thresholdY } from './charts';

const T = { start: 500, stop: 2000, full: 2999 };

describe('poolBar', () => {
  it('colours by the thresholds and fills as a share of a full pool', () => {
    expect(poolBar(null, T)).toEqual({ fraction: 0, level: 'unknown' });
    expect(poolBar(0, T)).toEqual({ fraction: 0, level: 'empty' });
    expect(poolBar(499, T).level).toBe('low');
    expect(poolBar(500, T).level).toBe('refilling');
    expect(poolBar(1999, T).level).toBe('refilling');
    expect(poolBar(2000, T)).toEqual({ fraction: 2000 / 2999, level: 'full' });
    // A burst can overfill a pool: the bar stops at the top.
    expect(poolBar(9000, T)).toEqual({ fraction: 1, level: 'full' });
  });

  it('places threshold marks from the top of the bar', () => {
    expect(thresholdY(2999, T, 44)).toBe(0);
    expect(thresholdY(0, T, 44)).toBe(44);
    expect(thresholdY(1499.5, T, 44)).toBe(22);
  });
});

describe('sparklinePath', () => {
  it('draws oldest to newest, 0 at the bottom, max at the top; a null is a gap', () => {
    expect(sparklinePath([0, 5, 10], 100, 50, 10)).toBe('M0.0 50.0L50.0 25.0L100.0 0.0');
    expect(sparklinePath([1, null, 1, 1], 30, 10, 1)).toBe('M0.0 0.0M20.0 0.0L30.0 0.0');
    expect(sparklinePath([null, null], 30, 10, 1)).toBe('');
    expect(sparklinePath([], 30, 10, 1)).toBe('');
    // Above max: clipped to the top.
    expect(sparklinePath([20], 30, 10, 10)).toBe('M0.0 0.0');
  });

  it('niceMax rounds up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax([null, 0])).toBe(1);
    expect(niceMax([0.4])).toBe(1);
    expect(niceMax([1.5])).toBe(2);
    expect(niceMax([3, null])).toBe(5);
    expect(niceMax([42])).toBe(50);
    expect(niceMax([200])).toBe(200);
  });
});

describe('numbers as people read them', () => {
  it('bytes, rates, ages, the latest value', () => {
    expect([formatBytes(null), formatBytes(1936), formatBytes(25_000), formatBytes(12_500_000)]).toEqual(['?', '1936 B', '25.0 kB', '12.5 MB']);
    expect([formatRate(null), formatRate(0), formatRate(2.345), formatRate(31.6)]).toEqual(['–', '0', '2.3', '32']);
    expect(ago('2026-12-02T10:00:00Z', '2026-12-02T10:00:42Z')).toBe('42 s ago');
    expect(ago('2026-12-02T10:00:00Z', '2026-12-02T10:05:00Z')).toBe('5 min ago');
    expect(ago('2026-12-02T10:00:00Z', '2026-12-02T13:00:00Z')).toBe('3 h ago');
    expect(latest([1, 2, null])).toBe(2);
    expect(latest([null])).toBeNull();
  });
});

describe('refilledPools', () => {
  const edge = (client: string, hub: string, clientPoolRefills: number, hubPoolRefills: number) =>
    ({ client, hub, clientPool: 900, hubPool: 900, clientPoolRefills, hubPoolRefills, from: { x: 0, y: 0 }, to: { x: 0, y: 0 }, glyph: { x: 0, y: 0 }, registered: true, reachable: true, seenBy: 'client' }) as const;

  it('names the pools that got blocks since the previous picture, and no others', () => {
    const before = [edge('carol', 'hank', 0, 2), edge('carol', 'helen', 1, 1)];
    const after = [edge('carol', 'hank', 1, 2), edge('carol', 'helen', 1, 3), edge('curtis', 'hank', 5, 5)];
    expect([...refilledPools(before, after)]).toEqual(['carol/hank/C', 'carol/helen/H']);
    expect(refilledPools(undefined, after).size).toBe(0);
  });
});

describe('summaryText', () => {
  it('nodes up, keys per second now, shares held, and pairs not reaching their hub', () => {
    const snapshot = {
      nodes: [{ up: true }, { up: false }, { up: true }],
      clients: [{ madePerSecond: [1, 2] }, { madePerSecond: [null, 0.5] }],
      hubs: [{ sharesHeld: 3 }, { sharesHeld: null }],
      edges: [{ reachable: true }, { reachable: false }, { reachable: null }],
    } as unknown as Parameters<typeof summaryText>[0];
    expect(summaryText(snapshot)).toBe('2 of 3 nodes up · 2.5 keys/s · 3 shares held · 1 pair not reaching their hub');
    expect(summaryText({ ...snapshot, edges: [] })).toBe('2 of 3 nodes up · 2.5 keys/s · 3 shares held');
  });
});
