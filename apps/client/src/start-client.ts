import { startNodeApp } from '@dske/service-runtime';
import { ClientModule } from './client.module';
import type { ClientConfig } from './client-config';
import { ETSI_ERROR_RENDERER } from './etsi/etsi-error';
import { ETSI_ROOT_PATH } from './etsi/etsi-paths';
import { EtsiKeysController, EtsiRootKeysController } from './etsi/etsi-keys.controller';

/** Get key and Get key with key IDs, at both mount points: served without Express's and Nest's request layers (DirectRoutes). */
const KEY_REQUESTS = [EtsiKeysController, EtsiRootKeysController].flatMap((controller) =>
  ['getKey', 'postKey', 'getKeyWithIds', 'postKeyWithIds'].map((method) => ({ controller, method })),
);

/** Load NestJS and serve the client; main.ts imports this only once the command line is valid. */
export async function startClient(config: ClientConfig, description: string): Promise<void> {
  await startNodeApp({
    module: ClientModule.forConfig(config),
    kind: 'client',
    name: config.name,
    host: config.host,
    port: config.port,
    description,
    saeBearerAuth: true,
    errorRenderers: [ETSI_ERROR_RENDERER],
    // The standard's own paths, /api/v1/keys/..., besides /client/NAME/etsi/api/v1/keys/... (EtsiRootKeysController).
    rootRoutes: [`${ETSI_ROOT_PATH}/*path`],
    tls: config.tls,
    healthPort: config.healthPort,
    directRoutes: KEY_REQUESTS,
  });
}
