import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDLE_CHECK_MS, IdleHeapCollector, startIdleHeapCollector, type LoopTime } from './idle-heap-collector';

/** A scripted event loop: each interval adds `active` busy and the rest idle ms. */
function scriptedLoop() {
  const time: LoopTime = { active: 0, idle: 0 };
  return {
    loopTime: () => ({ ...time }),
    interval(active: number, length = IDLE_CHECK_MS) {
      time.active += active;
      time.idle += length - active;
    },
  };
}

describe('IdleHeapCollector', () => {
  afterEach(() => vi.useRealTimers());

  it('collects once in the first idle interval after the start, and not again while the node stays idle', () => {
    const loop = scriptedLoop();
    const collect = vi.fn();
    const collector = new IdleHeapCollector(collect, loop.loopTime);
    loop.interval(20); // 0.4 %: idle
    expect(collector.check()).toBe(true);
    for (let i = 0; i < 5; i++) {
      loop.interval(20);
      expect(collector.check()).toBe(false);
    }
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('never collects while the loop is busy; once in the idle interval after the work stops', () => {
    const loop = scriptedLoop();
    const collect = vi.fn();
    const collector = new IdleHeapCollector(collect, loop.loopTime);
    loop.interval(0);
    collector.check(); // the start's collection
    collect.mockClear();
    for (const busy of [4000, 250, 101]) {
      loop.interval(busy); // 80 %, 5 %, just over 2 %
      expect(collector.check()).toBe(false);
    }
    loop.interval(100); // exactly 2 %: idle
    expect(collector.check()).toBe(true);
    loop.interval(0);
    expect(collector.check()).toBe(false);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('reads a check without elapsed time as no news', () => {
    const loop = scriptedLoop();
    const collect = vi.fn();
    const collector = new IdleHeapCollector(collect, loop.loopTime);
    expect(collector.check()).toBe(true); // nothing elapsed is not work: the start's garbage goes
    expect(collector.check()).toBe(false);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('checks on an unref-ed timer every IDLE_CHECK_MS once started, and not after stop', () => {
    vi.useFakeTimers();
    const loop = scriptedLoop();
    const collect = vi.fn();
    const collector = new IdleHeapCollector(collect, loop.loopTime).start();
    vi.advanceTimersByTime(IDLE_CHECK_MS - 1);
    expect(collect).not.toHaveBeenCalled();
    loop.interval(10);
    vi.advanceTimersByTime(1);
    expect(collect).toHaveBeenCalledTimes(1);
    loop.interval(3000);
    vi.advanceTimersByTime(IDLE_CHECK_MS);
    collector.stop();
    loop.interval(0);
    vi.advanceTimersByTime(10 * IDLE_CHECK_MS);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('starts only where the process can collect (node --expose-gc)', () => {
    expect(startIdleHeapCollector(undefined)).toBeUndefined();
    expect(startIdleHeapCollector('gc')).toBeUndefined();
    const started = startIdleHeapCollector(vi.fn());
    expect(started).toBeInstanceOf(IdleHeapCollector);
    started?.stop();
  });
});
