import { INestApplication, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { IdleHeapCollector, startIdleHeapCollector } from './idle-heap-collector';

/** Lets the mgmt stop endpoint answer first and then end the process cleanly. */
@Injectable()
export class NodeLifecycle implements OnApplicationShutdown {
  private app?: INestApplication;
  private collector?: IdleHeapCollector;
  private stopping = false;
  private readonly logger = new Logger('Lifecycle');

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
    this.collector = startIdleHeapCollector();
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
