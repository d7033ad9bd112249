import { describe, expect, it } from 'vitest';
import { ShareQuota } from './share-quota';

describe('ShareQuota', () => {
  it('counts per client, forgets delivered and expired shares, and says when a batch would go past the limit', () => {
    let now = 1_000;
    const quota = new ShareQuota(3, 60_000, () => now);
    quota.add('ca', ['k1', 'k2']);
    quota.add('cb', ['k3']);
    expect([quota.count('ca'), quota.count('cb'), quota.count('cc')]).toEqual([2, 1, 0]);
    expect(quota.wouldExceed('ca', 1)).toBe(false);
    expect(quota.wouldExceed('ca', 2)).toBe(true);
    quota.remove('ca', ['k1', 'nope']);
    expect(quota.count('ca')).toBe(1);
    now += 30_000;
    quota.add('ca', ['k4', 'k5']);
    expect(quota.wouldExceed('ca', 1)).toBe(true);
    // k2 expires first (it came first); k4 and k5 a little later.
    now += 30_000;
    expect(quota.count('ca')).toBe(2);
    expect(quota.count('cb')).toBe(0);
    now += 30_000;
    expect(quota.count('ca')).toBe(0);
    expect(quota.wouldExceed('ca', 3)).toBe(false);
  });

  it('counts the shares that expired, once each, and not those delivered', () => {
    let now = 0;
    const quota = new ShareQuota(10, 1_000, () => now);
    const expired: number[] = [];
    quota.onExpired = (n) => expired.push(n);
    quota.add('ca', ['k1', 'k2', 'k3']);
    quota.add('cb', ['k4']);
    quota.remove('ca', ['k2']);
    expect(quota.total()).toBe(3);
    now = 1_000;
    expect(quota.total()).toBe(0);
    expect(expired.reduce((a, b) => a + b, 0)).toBe(3);
    expect(quota.total()).toBe(0);
    expect(quota.count('ca')).toBe(0);
    expect(expired.reduce((a, b) => a + b, 0)).toBe(3);
  });
});
