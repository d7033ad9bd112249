import { INestApplication, Injectable, Logger } from '@nestjs/common';

/** Lets the mgmt stop endpoint answer first and then end the process cleanly. */
@Injectable()
export class NodeLifecycle {
  private app?: INestApplication;
  private stopping = false;
  private readonly logger = new Logger('Lifecycle');

  attach(app: INestApplication): void {
    this.app = app;
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
