import { describe, expect, it } from 'vitest';
import { timingsFrom } from './timings';

describe('timingsFrom', () => {
  it('defaults to the 60 s the guide mentions for TIME_WAIT', () => {
    expect(timingsFrom({})).toMatchObject({ portWaitMs: 60_000, readyWaitMs: 60_000 });
  });

  it('takes seconds, fractions included, from the environment', () => {
    expect(timingsFrom({ DSKE_MANAGER_PORT_WAIT_SECS: '2.5', DSKE_MANAGER_READY_WAIT_SECS: '0' })).toMatchObject({ portWaitMs: 2500, readyWaitMs: 0 });
    expect(timingsFrom({ DSKE_MANAGER_PORT_WAIT_SECS: '' }).portWaitMs).toBe(60_000);
  });

  it('rejects anything else, naming the variable', () => {
    for (const bad of ['-1', 'abc', '1e3', '5s']) {
      expect(() => timingsFrom({ DSKE_MANAGER_READY_WAIT_SECS: bad })).toThrow(`DSKE_MANAGER_READY_WAIT_SECS: expected a number of seconds, got '${bad}'`);
    }
  });
});
