import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckQueue, MAX_ACKS_PER_MESSAGE } from './ack-queue';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('AckQueue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('acknowledgements wait for a message to ride on, then go in one of their own after the linger', async () => {
    const sent: string[][] = [];
    const queue = new AckQueue(async (ids) => void sent.push(ids), () => 250);
    queue.add([id(1), id(2).toUpperCase()]);
    await vi.advanceTimersByTimeAsync(249);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([[id(1), id(2)]]);
    expect(queue.size).toBe(0);
  });

  it('the linger counts from the oldest acknowledgement still waiting: a steady stream of messages carries them all', async () => {
    const sent: string[][] = [];
    const queue = new AckQueue(async (ids) => void sent.push(ids), () => 250);
    // A key every 100 ms, each acknowledgement carried by the next key's message 20 ms after it came.
    for (let n = 0; n < 10; n++) {
      queue.add([id(n)]);
      await vi.advanceTimersByTimeAsync(20);
      expect(queue.take()).toEqual([id(n)]);
      await vi.advanceTimersByTimeAsync(80);
    }
    expect(sent).toEqual([]);
    // The last one waits its full linger from when it came.
    queue.add([id(10)]);
    await vi.advanceTimersByTimeAsync(249);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([[id(10)]]);
  });

  it('a key-share message takes them (one message at most), and gives them back when it was refused', async () => {
    const sent: string[][] = [];
    const queue = new AckQueue(async (ids) => void sent.push(ids), () => 250);
    queue.add(Array.from({ length: MAX_ACKS_PER_MESSAGE + 2 }, (_, i) => id(i)));
    const carried = queue.take();
    expect(carried).toHaveLength(MAX_ACKS_PER_MESSAGE);
    expect(carried[0]).toBe(id(0));
    queue.giveBack(carried.slice(0, 1));
    await vi.advanceTimersByTimeAsync(250);
    // What is left goes on its own, oldest first: the two that did not fit, then the one given back.
    expect(sent).toEqual([[id(MAX_ACKS_PER_MESSAGE), id(MAX_ACKS_PER_MESSAGE + 1), id(0)]]);
  });

  it('with no linger (a hub that reads them only on their own) they go at once', async () => {
    const sent: string[][] = [];
    const queue = new AckQueue(async (ids) => void sent.push(ids), () => 0);
    queue.add([id(1)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([[id(1)]]);
  });

  it("one of their own that fails is tried again four times (0.5, 1, 2, 4 s later), then left to the hub's expiry", async () => {
    let tries = 0;
    const queue = new AckQueue(async () => {
      tries++;
      throw new Error('hub down');
    }, () => 250);
    queue.add([id(1)]);
    await vi.advanceTimersByTimeAsync(250);
    expect(tries).toBe(1);
    for (const [wait, total] of [[500, 2], [1000, 3], [2000, 4], [4000, 5]]) {
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(tries).toBe(total - 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(tries).toBe(total);
    }
    await vi.advanceTimersByTimeAsync(60_000);
    expect(tries).toBe(5);
    expect(queue.size).toBe(0);
  });

  it('holds a bounded number, dropping the oldest; nothing is sent after close', async () => {
    const sent: string[][] = [];
    const queue = new AckQueue(async (ids) => void sent.push(ids), () => 250);
    queue.add(Array.from({ length: 5000 }, (_, i) => id(i)));
    expect(queue.size).toBe(4096);
    expect(queue.take()[0]).toBe(id(5000 - 4096));
    queue.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent).toEqual([]);
  });
});
