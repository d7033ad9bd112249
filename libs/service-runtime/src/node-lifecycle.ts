import { INestApplication, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { IdleHeapCollector, LATE_COLLECTION_MS, startIdleHeapCollector } from './idle-heap-collector';
import type { Counter } from 'prom-client';
import { NodeMetrics } from './node-metrics';

/** Lets the mgmt stop endpoint answer first and then end the process cleanly. */
@Injectable()
export class NodeLifecycle implements OnApplicationShutdown {
  private app?: INestApplication;
  private collector?: IdleHeapCollector;
  private readonly collections?: Counter;
  private stopping = false;
  private readonly logger = new Logger('Lifecycle');

  constructor(@Optional() metrics?: NodeMetrics) {
    this.collections = metrics?.counter('dske_idle_collections_total', `Idle collections (two full garbage collections in a row) this node made when it fell idle after work (or after its start), and once more ${LATE_COLLECTION_MS / 60_000} minutes after the work`);
  }

  attach(app: INestApplication): void {
    this.app = app;
  }

  /**
   * From now until the app closes: what the start left, and each burst of
   * keys after, is collected once the node idles (IdleHeapCollector; only in
   * a process started with --expose-gc, as NODE_RUNTIME_FLAGS does).
   */
  collectWhenIdle(): void {
    this.collector?.stop();
    this.collector = startIdleHeapCollector(undefined, () => this.collections?.inc());
  }

  onApplicationShutdown(): void {
    this.collector?.stop();
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  stopSoon(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.logger.log(`Stopping: ${reason}`);
    // Give the HTTP response time to leave before the server closes.
    setTimeout(() => {
      void (this.app?.close() ?? Promise.resolve()).finally(() => process.exit(0));
    }, 50).unref();
  }
}
