import { describe, expect, it } from 'vitest';
import { planShareSources } from './share-sources';

const HUBS = ['h0', 'h1', 'h2', 'h3', 'h4'];
const all = () => true;

describe('planShareSources', () => {
  it('asks k hubs first, starting at `start` and wrapping around; the others wait', () => {
    expect(planShareSources(HUBS, { start: 0, k: 3, kept: 0, ready: all })).toEqual({ first: ['h0', 'h1', 'h2'], rest: ['h3', 'h4'] });
    expect(planShareSources(HUBS, { start: 3, k: 3, kept: 0, ready: all })).toEqual({ first: ['h3', 'h4', 'h0'], rest: ['h1', 'h2'] });
    expect(planShareSources(HUBS, { start: 12, k: 3, kept: 0, ready: all })).toEqual({ first: ['h2', 'h3', 'h4'], rest: ['h0', 'h1'] });
  });

  it('over n gathers, every hub is in the first round k times', () => {
    const counts = new Map<string, number>();
    for (let start = 0; start < HUBS.length; start++) {
      for (const hub of planShareSources(HUBS, { start, k: 3, kept: 0, ready: all }).first) counts.set(hub, (counts.get(hub) ?? 0) + 1);
    }
    expect([...counts.values()]).toEqual([3, 3, 3, 3, 3]);
  });

  it('hubs that are not ready come last, in the same rotation', () => {
    const ready = (hub: string) => hub !== 'h1' && hub !== 'h2';
    expect(planShareSources(HUBS, { start: 1, k: 3, kept: 0, ready })).toEqual({ first: ['h3', 'h4', 'h0'], rest: ['h1', 'h2'] });
    expect(planShareSources(HUBS, { start: 0, k: 4, kept: 0, ready })).toEqual({ first: ['h0', 'h3', 'h4', 'h1'], rest: ['h2'] });
  });

  it('shares kept from an earlier attempt count: only the missing ones are asked for first', () => {
    expect(planShareSources(['h2', 'h3', 'h4'], { start: 0, k: 3, kept: 2, ready: all })).toEqual({ first: ['h2'], rest: ['h3', 'h4'] });
    expect(planShareSources(['h3', 'h4'], { start: 0, k: 3, kept: 3, ready: all })).toEqual({ first: [], rest: ['h3', 'h4'] });
  });

  it('k = 1 has no digest: every hub is asked at once', () => {
    expect(planShareSources(HUBS, { start: 2, k: 1, kept: 0, ready: all })).toEqual({ first: ['h2', 'h3', 'h4', 'h0', 'h1'], rest: [] });
  });

  it('k = n asks every hub, and no hubs give an empty plan', () => {
    expect(planShareSources(HUBS, { start: 4, k: 5, kept: 0, ready: all }).rest).toEqual([]);
    expect(planShareSources([], { start: 4, k: 3, kept: 0, ready: all })).toEqual({ first: [], rest: [] });
  });
});
