import { describe, expect, it } from 'vitest';
import { RateSeries } from './activity-history';

describe('RateSeries', () => {
  it('per-second rates between polls, padded with gaps to its length', () => {
    const series = new RateSeries(4);
    expect(series.series).toEqual([null, null, null, null]);
    series.record(10, 0);
    series.record(12, 1000);
    series.record(15, 3000);
    expect(series.series).toEqual([null, null, 2, 1.5]);
  });

  it('a poll without an answer is a gap, and the next answer starts afresh; a counter that went down (restart) counts from zero', () => {
    const series = new RateSeries(5);
    series.record(10, 0);
    series.record(undefined, 1000);
    series.record(40, 2000);
    series.record(42, 3000);
    series.record(3, 4000);
    expect(series.series).toEqual([null, null, null, 2, 3]);
  });

  it('keeps only the latest values', () => {
    const series = new RateSeries(2);
    for (let i = 0; i <= 4; i++) series.record(i * i, i * 1000);
    expect(series.series).toEqual([5, 7]);
  });
});
