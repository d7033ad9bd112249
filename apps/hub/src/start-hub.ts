import { startNodeApp } from '@dske/service-runtime';
import type { HubConfig } from './hub-config';
import { HubModule } from './hub.module';

/** Load NestJS and serve the hub; main.ts imports this only once the command line is valid. */
export async function startHub(config: HubConfig, description: string): Promise<void> {
  await startNodeApp({ module: HubModule.forConfig(config), kind: 'hub', name: config.name, host: config.host, port: config.port, description, tls: config.tls, healthPort: config.healthPort });
}
