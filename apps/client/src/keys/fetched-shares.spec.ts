import { describe, expect, it } from 'vitest';
import { compactKeyId, DeliveredKeys, FetchedShares, type HubShare } from './fetched-shares';

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
  it('remembers a key for its SAE pair until it expires (under a second late), and forgets expired ones without being asked about them', () => {
    let now = 1_700_000_000_000;
    const start = now;
    const delivered = new DeliveredKeys(1000, () => now);
    const route = { master_sae_id: 'sa', slave_sae_id: 'sb' };
    delivered.add(route, ['K1', 'k2']);
    expect(delivered.has(route, 'k1')).toBe(true);
    expect(delivered.has({ master_sae_id: 'sb', slave_sae_id: 'sa' }, 'k1')).toBe(false);
    now = start + 500;
    delivered.add(route, ['k3']);
    delivered.add({ master_sae_id: 'sb', slave_sae_id: 'sa' }, ['k4']);
    now = start + 999;
    expect(delivered.size).toBe(4);
    now = start + 1000;
    delivered.expire();
    expect(delivered.size).toBe(2);
    expect(delivered.has(route, 'k3')).toBe(true);
    now = start + 1999;
    expect(delivered.size).toBe(2);
    now = start + 2000;
    expect(delivered.size).toBe(0);
  });

  it('remembers UUIDs without case and forgets removed ones', () => {
    const delivered = new DeliveredKeys(10_000, () => 0);
    const route = { master_sae_id: 'sa', slave_sae_id: 'sb' };
    const id = '0F8FAD5B-D9CB-469F-A165-70867728950E';
    delivered.add(route, [id, 'other']);
    expect(delivered.has(route, id.toLowerCase())).toBe(true);
    delivered.remove(route, [id.toLowerCase()]);
    expect(delivered.has(route, id)).toBe(false);
    expect(delivered.has(route, 'OTHER')).toBe(true);
  });

  it('moves a re-added key to the back, so a key behind it still expires on time', () => {
    let now = 0;
    const delivered = new DeliveredKeys(10_000, () => now);
    const route = { master_sae_id: 'sa', slave_sae_id: 'sb' };
    delivered.add(route, ['a', 'b']);
    now = 5_000;
    delivered.add(route, ['a']);
    now = 10_000;
    expect(delivered.size).toBe(1);
    expect(delivered.has(route, 'b')).toBe(false);
    expect(delivered.has(route, 'a')).toBe(true);
    now = 15_000;
    expect(delivered.size).toBe(0);
  });
});

describe('compactKeyId', () => {
  it("is a UUID's 16 bytes, without case", () => {
    const compact = compactKeyId('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(Buffer.from(compact, 'latin1').toString('hex')).toBe('0f8fad5bd9cb469fa16570867728950e');
    expect(compactKeyId('0F8FAD5B-D9CB-469F-A165-70867728950E')).toBe(compact);
  });

  it('keeps any other ID lower-cased behind U+0100, which no UUID\'s bytes are', () => {
    expect(compactKeyId('Key-1')).toBe('\u0100key-1');
    const sixteen = Buffer.from('0f8fad5bd9cb469fa16570867728950e', 'hex').toString('latin1');
    expect(compactKeyId(sixteen)).not.toBe(compactKeyId('0f8fad5b-d9cb-469f-a165-70867728950e'));
    expect(compactKeyId('0f8fad5bd9cb469fa16570867728950e')).toBe('\u01000f8fad5bd9cb469fa16570867728950e');
  });
});
