import { describe, expect, it } from 'vitest';
import { DeliveredKeys, FetchedShares, type HubShare } from './fetched-shares';

const route = { master_sae_id: 'sa', slave_sae_id: 'sb' };
const share = (x: number, byte = x + 1): HubShare => ({ x, hub: `h${x}`, data: Uint8Array.of(byte, byte) });

describe('FetchedShares', () => {
  it('keeps a key\'s shares for its SAE pair only, one per x, and hands them over once', () => {
    const kept = new FetchedShares();
    kept.keep(route, 'K1', [share(0), share(1)]);
    kept.keep(route, 'k1', [share(1, 9), share(2)]);
    expect(kept.take({ master_sae_id: 'sa', slave_sae_id: 'sc' }, 'k1')).toEqual([]);
    expect(kept.take(route, 'k1').map((s) => [s.x, s.data[0]])).toEqual([[0, 1], [1, 2], [2, 3]]);
    expect(kept.take(route, 'k1')).toEqual([]);
  });

  it('wipes what expires or is pushed out by newer keys', () => {
    let now = 0;
    const kept = new FetchedShares(1_000, 2, () => now);
    const [a, b, c] = [share(0), share(1), share(2)];
    kept.keep(route, 'a', [a]);
    kept.keep(route, 'b', [b]);
    kept.keep(route, 'c', [c]);
    expect(a.data).toEqual(new Uint8Array(2));
    expect(kept.size).toBe(2);
    now = 1_001;
    expect(kept.size).toBe(0);
    expect(b.data).toEqual(new Uint8Array(2));
    expect(c.data).toEqual(new Uint8Array(2));
  });
});

describe('DeliveredKeys', () => {
  it('remembers a key for its SAE pair until it expires, and forgets expired ones without being asked about them', () => {
    let now = 0;
    const delivered = new DeliveredKeys(1000, () => now);
    const route = { master_sae_id: 'sa', slave_sae_id: 'sb' };
    delivered.add(route, ['K1', 'k2']);
    expect(delivered.has(route, 'k1')).toBe(true);
    expect(delivered.has({ master_sae_id: 'sb', slave_sae_id: 'sa' }, 'k1')).toBe(false);
    now = 500;
    delivered.add(route, ['k3']);
    now = 1000;
    delivered.expire();
    expect(delivered.size).toBe(1);
    expect(delivered.has(route, 'k3')).toBe(true);
    now = 1500;
    expect(delivered.size).toBe(0);
  });
});
