import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deferDateTimeFormat, logTimestamp } from './log-time';

const NEST_OPTIONS: Intl.DateTimeFormatOptions = { year: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', day: '2-digit', month: '2-digit' };

describe('logTimestamp', () => {
  it('writes local time as ConsoleLogger does in en-US', () => {
    expect(logTimestamp(new Date(2026, 11, 1, 21, 2, 3))).toBe('12/01/2026, 9:02:03 PM');
    expect(logTimestamp(new Date(2026, 0, 9, 0, 0, 0))).toBe('01/09/2026, 12:00:00 AM');
    expect(logTimestamp(new Date(2026, 6, 4, 12, 30, 59))).toBe('07/04/2026, 12:30:59 PM');
    expect(logTimestamp(new Date(2026, 6, 4, 11, 59, 5))).toBe('07/04/2026, 11:59:05 AM');
  });

  it('agrees with Intl en-US for any time', () => {
    const intl = new Intl.DateTimeFormat('en-US', NEST_OPTIONS);
    fc.assert(fc.property(fc.date({ min: new Date(2000, 0, 1), max: new Date(2099, 11, 31), noInvalidDate: true }), (date) => logTimestamp(date) === intl.format(date).replace(/\u202f/g, ' ')));
  });
});

describe('deferDateTimeFormat', () => {
  it('formatters behave as before, built on first use', () => {
    const date = new Date(2026, 11, 1, 21, 2, 3);
    const before = new Intl.DateTimeFormat('en-US', NEST_OPTIONS).format(date);
    deferDateTimeFormat();
    deferDateTimeFormat();
    const deferred = new Intl.DateTimeFormat('en-US', NEST_OPTIONS);
    expect(deferred.format(date)).toBe(before);
    expect(deferred.resolvedOptions().locale).toBe('en-US');
    expect(Intl.DateTimeFormat('en-US', { year: 'numeric' }).format(date)).toBe('2026');
    expect(Intl.DateTimeFormat.supportedLocalesOf(['en-US'])).toEqual(['en-US']);
  });
});
