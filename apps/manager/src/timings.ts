/**
 * How long the manager waits, with environment overrides. The defaults follow
 * the user guide: a port can sit in TIME_WAIT for up to 60 seconds. Tests
 * shorten the waits to stay quick.
 */
import { UsageError } from './errors';

export const PORT_WAIT_ENV = 'DSKE_MANAGER_PORT_WAIT_SECS';
export const READY_WAIT_ENV = 'DSKE_MANAGER_READY_WAIT_SECS';
export const DEFAULT_PORT_WAIT_SECS = 60;
export const DEFAULT_READY_WAIT_SECS = 60;

export interface Timings {
  /** start and stop: how long to wait for the selected ports to be free. */
  portWaitMs: number;
  /** start: how long to wait for every started node to answer 200 on /readyz. */
  readyWaitMs: number;
  /** How often a "Still waiting for ... to be stopped" line is printed (the guide shows them while ports free up). */
  reportEveryMs: number;
  /**
   * How often a "Still waiting for ... to be started" line is printed. Longer:
   * a normal start of ten nodes on a small machine takes several seconds and
   * the guide's start output has no such lines.
   */
  readyReportEveryMs: number;
  /** How often ports and readiness are probed (often: each wait would otherwise lose half an interval on average). */
  pollEveryMs: number;
  /** After SIGTERM, how long a node gets to exit before SIGKILL. */
  killGraceMs: number;
  /** Timeout of one mgmt stop request. */
  stopRequestMs: number;
  /** Timeout of one status or ETSI request (a large key or a 503 after hub timeouts takes a while). */
  requestMs: number;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback * 1000;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !Number.isFinite(value)) {
    throw new UsageError(`${name}: expected a number of seconds, got '${raw}'`);
  }
  return Math.round(value * 1000);
}

export function timingsFrom(env: NodeJS.ProcessEnv): Timings {
  return {
    portWaitMs: seconds(env, PORT_WAIT_ENV, DEFAULT_PORT_WAIT_SECS),
    readyWaitMs: seconds(env, READY_WAIT_ENV, DEFAULT_READY_WAIT_SECS),
    reportEveryMs: 5000,
    readyReportEveryMs: 15_000,
    pollEveryMs: 50,
    killGraceMs: 5000,
    stopRequestMs: 5000,
    requestMs: 30_000,
  };
}
