import { startNodeApp } from '@dske/service-runtime';
import type { HubConfig } from './hub-config';
import { HubModule } from './hub.module';
import { KeyShareController } from './api/key-share.controller';
import { OobController } from './oob/oob.controller';

/**
 * Served without Express's and Nest's request layers (DirectRoutes): the in-band messages, a few per key, and
 * the PSRD deliveries and confirmations of every refill (about one per key pair), behind the oob guard as before.
 */
const HOT_PATH = [
  ...['post', 'get', 'postBatch', 'getBatch', 'acknowledge'].map((method) => ({ controller: KeyShareController, method })),
  ...['psrd', 'confirmPsrd'].map((method) => ({ controller: OobController, method })),
];

/** Load NestJS and serve the hub; main.ts imports this only once the command line is valid. */
export async function startHub(config: HubConfig, description: string): Promise<void> {
  await startNodeApp({ module: HubModule.forConfig(config), kind: 'hub', name: config.name, host: config.host, port: config.port, description, tls: config.tls, healthPort: config.healthPort, directRoutes: HOT_PATH });
}
