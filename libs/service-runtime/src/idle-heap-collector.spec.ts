import { afterEach, describe, expect, it, vi } from 'vitest';

// The installed addon, replaced: what matters here is whether the collector calls it, and when.
const installed = vi.hoisted(() => ({ trimHeap: vi.fn(() => true), releaseMappedPages: vi.fn(() => 2_400_000) }));
vi.mock('@dske/native-memory', () => ({ installedNativeMemory: () => installed }));
import { IDLE_CHECK_MS, IdleHeapCollector, LATE_COLLECTION_MS, startIdleHeapCollector, type LoopTime } from './idle-heap-collector';

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

  it('collects once more LATE_COLLECTION_MS after the work (what records kept for minutes held), then not again', () => {
    const loop = scriptedLoop();
    const collect = vi.fn();
    const collector = new IdleHeapCollector(collect, loop.loopTime);
    loop.interval(0);
    collector.check(); // the start's collection
    // The start alone is not followed by a late collection.
    for (let quiet = 0; quiet < 2 * LATE_COLLECTION_MS; quiet += IDLE_CHECK_MS) {
      loop.interval(10);
      collector.check();
    }
    expect(collect).toHaveBeenCalledTimes(1);
    loop.interval(4000);
    expect(collector.check()).toBe(false);
    loop.interval(10);
    expect(collector.check()).toBe(true); // as the work stops
    const checks: boolean[] = [];
    for (let quiet = IDLE_CHECK_MS; quiet < LATE_COLLECTION_MS + 3 * IDLE_CHECK_MS; quiet += IDLE_CHECK_MS) {
      loop.interval(10);
      checks.push(collector.check());
    }
    // Quiet since the work: IDLE_CHECK_MS after the first collection, then one check per interval.
    const late = LATE_COLLECTION_MS / IDLE_CHECK_MS - 2;
    expect(checks.indexOf(true)).toBe(late);
    expect(checks.filter(Boolean)).toHaveLength(1);
    expect(collect).toHaveBeenCalledTimes(3);
  });

  it('starts the late collection\'s wait again with every interval of work', () => {
    const loop = scriptedLoop();
    const collect = vi.fn();
    const collector = new IdleHeapCollector(collect, loop.loopTime);
    loop.interval(4000);
    collector.check();
    loop.interval(0, LATE_COLLECTION_MS - IDLE_CHECK_MS);
    expect(collector.check()).toBe(true); // the idle collection after the work
    loop.interval(4000); // work again, just before the late collection was due
    expect(collector.check()).toBe(false);
    loop.interval(0, LATE_COLLECTION_MS - IDLE_CHECK_MS);
    expect(collector.check()).toBe(true); // the idle collection after this work
    loop.interval(0, IDLE_CHECK_MS - 1);
    expect(collector.check()).toBe(false);
    loop.interval(0, 1);
    expect(collector.check()).toBe(true); // LATE_COLLECTION_MS after this work
    expect(collect).toHaveBeenCalledTimes(3);
  });

  it('gives native memory back in every idle interval, after the collection when there is one, never in a busy one', () => {
    const loop = scriptedLoop();
    const calls: string[] = [];
    const collector = new IdleHeapCollector(() => calls.push('collect'), loop.loopTime, () => calls.push('trim'));
    for (const busy of [0, 10, 4000, 10, 10]) {
      loop.interval(busy);
      collector.check();
    }
    expect(calls).toEqual(['collect', 'trim', 'trim', 'collect', 'trim', 'trim']);
  });

  it('does not count its own collection as work: a slow one does not make the next idle interval collect again', () => {
    const loop = scriptedLoop();
    const collector = new IdleHeapCollector(() => loop.interval(400, 400), loop.loopTime); // 400 ms of collecting
    loop.interval(0);
    expect(collector.check()).toBe(true);
    for (let i = 0; i < 3; i++) {
      loop.interval(20);
      expect(collector.check()).toBe(false);
    }
  });

  it('reads a check without elapsed time as no news', () => {
    const loop = scriptedLoop();
    const collect = vi.fn();
    const collector = new IdleHeapCollector(collect, loop.loopTime);
    expect(collector.check()).toBe(true); // nothing elapsed is not work: the start's garbage goes
    expect(collector.check()).toBe(false);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('checks on a timer that keeps no process alive', () => {
    const collector = new IdleHeapCollector(vi.fn()).start();
    const timer = (collector as unknown as { timer: NodeJS.Timeout }).timer;
    expect(timer.hasRef()).toBe(false);
    collector.stop();
  });

  it('checks every IDLE_CHECK_MS once started, and not after stop', () => {
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
    expect(startIdleHeapCollector(null)).toBeUndefined();
    expect(startIdleHeapCollector('gc')).toBeUndefined();
    const started = startIdleHeapCollector(vi.fn());
    expect(started).toBeInstanceOf(IdleHeapCollector);
    started?.stop();
  });

  it('collects twice in a row (the second compacts what the first left sparse), tells `collected`, then gives native memory back', () => {
    const calls: string[] = [];
    const started = startIdleHeapCollector(
      () => calls.push('gc'),
      () => calls.push('collected'),
      () => calls.push('trim') > 0,
    );
    started?.stop();
    // The first idle interval after the start (the real event loop is busy while this test runs).
    (started as unknown as { loopTime: () => LoopTime }).loopTime = () => ({ active: 0, idle: IDLE_CHECK_MS });
    (started as unknown as { last: LoopTime }).last = { active: 0, idle: 0 };
    expect(started!.check()).toBe(true);
    expect(calls).toEqual(['gc', 'gc', 'collected', 'trim']);
  });

  it('trims the C heap and drops the mapped bundle pages with the installed addon by default, and does nothing of it where it is given null', () => {
    installed.trimHeap.mockClear();
    installed.releaseMappedPages.mockClear();
    const withAddon = startIdleHeapCollector(vi.fn());
    withAddon?.stop();
    (withAddon as unknown as { releaseNative: () => void }).releaseNative();
    expect(installed.trimHeap).toHaveBeenCalledTimes(1);
    expect(installed.releaseMappedPages).toHaveBeenCalledTimes(1);
    const calls: string[] = [];
    const without = startIdleHeapCollector(() => calls.push('gc'), () => calls.push('collected'), null);
    without?.stop();
    (without as unknown as { collect: () => void; releaseNative: () => void }).collect();
    (without as unknown as { releaseNative: () => void }).releaseNative();
    expect(calls).toEqual(['gc', 'gc', 'collected']);
    expect(installed.trimHeap).toHaveBeenCalledTimes(1);
    expect(installed.releaseMappedPages).toHaveBeenCalledTimes(1);
  });
});
