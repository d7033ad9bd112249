import { startNodeApp } from '@dske/service-runtime';
import type { HubConfig } from './hub-config';
import { HubModule } from './hub.module';
import { KeyShareController } from './api/key-share.controller';

/** The in-band messages, a few per key: served without Express's and Nest's request layers (DirectRoutes). */
const IN_BAND = ['post', 'get', 'postBatch', 'getBatch', 'acknowledge'].map((method) => ({ controller: KeyShareController, method }));

/** Load NestJS and serve the hub; main.ts imports this only once the command line is valid. */
export async function startHub(config: HubConfig, description: string): Promise<void> {
  await startNodeApp({ module: HubModule.forConfig(config), kind: 'hub', name: config.name, host: config.host, port: config.port, description, tls: config.tls, healthPort: config.healthPort, directRoutes: IN_BAND });
}
