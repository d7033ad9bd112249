import type { PsrdPool } from '@dske/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How often the event-loop lag metric samples the loop, in ms. */
export const EVENT_LOOP_SAMPLE_MS = 200;

/** What GET /metrics answers with: the Prometheus text format 0.0.4. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * Seconds, for one HTTP exchange: an in-band hub call takes about a
 * millisecond on a laptop, an ETSI Get Key with 32 keys a few hundred, and a
 * call to a hub that is down ends at the 5 s request timeout.
 */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The outcome label of an answer: `ok`, or the error code of its JSON body (one table of codes, so few values). */
export function outcomeOf(status: number, errorCode: string | undefined): string {
  if (status < 400) return 'ok';
  return errorCode ?? `http-${status}`;
}

/** One pool as psrdPools reads it. */
export interface PoolReading {
  peer: string;
  owner: 'hub' | 'client';
  pool: Pick<PsrdPool, 'unusedBytes' | 'bytesUsed'>;
}

/** A gauge read when scraped (pool sizes, shares held): `read` gives each label set's value. */
export type GaugeReader<L extends string> = () => Array<{ labels: Partial<Record<L, string>>; value: number }> | Promise<Array<{ labels: Partial<Record<L, string>>; value: number }>>;

/**
 * One node's metrics: a registry of its own (several nodes may share a
 * process in tests), Node's default process metrics, and `dske_node_info`.
 * Names follow Prometheus conventions: `dske_` prefix, counters end in
 * `_total`, sizes in `_bytes`, durations in `_seconds`.
 */
export class NodeMetrics {
  readonly registry = new Registry();

  constructor(kind: 'hub' | 'client', name: string, version: string) {
    // The event-loop lag histogram samples with a timer; prom-client's 10 ms woke every idle node 100 times a
    // second (ten nodes on a laptop: a thousand wake-ups a second, about 4 ms of CPU per node and second).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    this.gauge('dske_node_info', 'This DSKE node: its kind, name and API version (always 1)', ['kind', 'name', 'version']).set({ kind, name, version }, 1);
  }

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  }

  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = [], read?: GaugeReader<L>): Gauge<L> {
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      ...(read === undefined
        ? {}
        : {
            async collect(this: Gauge<L>) {
              // Only what exists now: a peer that is gone leaves no stale series behind.
              this.reset();
              for (const { labels, value } of await read()) this.set(labels, value);
            },
          }),
    });
  }

  /**
   * The PSRD pools shared with each peer, read when scraped. `owner` is who
   * allocates from the pool (hub or client), so hub hank's {peer="carol",
   * owner="client"} and client carol's {peer="hank", owner="client"} are the
   * two copies of one pool.
   */
  psrdPools(read: () => PoolReading[]): void {
    this.gauge('dske_psrd_unused_bytes', 'Unused PSRD bytes in the pool shared with a peer', ['peer', 'owner'], () =>
      read().map(({ peer, owner, pool }) => ({ labels: { peer, owner }, value: pool.unusedBytes })),
    );
    new Counter({
      name: 'dske_psrd_used_bytes_total',
      help: 'PSRD bytes used from the pool shared with a peer since the pool was made: this node started, or the client registered afresh (an allocation given back still counts)',
      labelNames: ['peer', 'owner'],
      registers: [this.registry],
      collect(this: Counter<'peer' | 'owner'>) {
        this.reset();
        for (const { peer, owner, pool } of read()) this.inc({ peer, owner }, pool.bytesUsed);
      },
    });
  }

  /** The text a scrape gets. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The sum of a counter over all its label sets (mgmt status shows totals). */
export async function counterTotal(counter: Counter<string>, where: Record<string, string> = {}): Promise<number> {
  const { values } = await counter.get();
  return values.filter((v) => Object.entries(where).every(([k, want]) => v.labels[k] === want)).reduce((n, v) => n + v.value, 0);
}
