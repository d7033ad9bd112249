import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freePortRange } from '@dske/test-support';

// The test harness's port picker: the nodes' ports must never be ones the kernel may hand to an outgoing connection.
describe('freePortRange', () => {
  it('hands out free runs outside the ephemeral range, never the same port twice', async () => {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const base = await freePortRange(10);
      for (let port = base; port < base + 10; port++) {
        expect(port < low || port > high, `port ${port} inside ${low}-${high}`).toBe(true);
        expect(seen.has(port), `port ${port} handed out twice`).toBe(false);
        seen.add(port);
      }
    }
  });
});
