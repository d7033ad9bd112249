#!/usr/bin/env node
import { HUB_SETTINGS } from '@dske/topology/nodes';
// Only the command-line parser is loaded up front, so `--help` and bad flags answer without loading NestJS.
import { deferDateTimeFormat, parseNodeCommandLine, readMgmtToken, readTlsFiles } from '@dske/service-runtime/cli';
import type { HubConfig } from './hub-config';

const DESCRIPTION = 'DSKE Hub: hands out pre-shared random data to clients and relays key shares between them';

async function main(): Promise<void> {
  const { name, settings } = parseNodeCommandLine('hub', DESCRIPTION, HUB_SETTINGS, process.argv.slice(2));
  const config: HubConfig = {
    name,
    port: settings.port as number,
    host: settings.host as string,
    shareTimeoutSecs: settings.share_timeout_secs as number,
    redisUrl: settings.redis_url as string | undefined,
    stateDir: settings.state_dir as string | undefined,
    stateSync: settings.state_sync as 'full' | 'normal',
    showPsrdPreview: process.env.DSKE_HIDE_PSRD !== '1',
    mgmtToken: readMgmtToken('hub', settings),
    tls: readTlsFiles('hub', settings),
    healthPort: settings.health_port as number | undefined,
    limits: {
      maxClients: settings.max_clients as number,
      maxPoolBytes: settings.max_pool_bytes as number,
      maxPoolBlocks: settings.max_pool_blocks as number,
      maxSharesPerClient: settings.max_shares_per_client as number,
    },
  };
  // Before NestJS loads: its formatters would pull ICU data into memory for timestamps this node writes itself.
  deferDateTimeFormat();
  const { startHub } = await import('./start-hub.js');
  await startHub(config, DESCRIPTION);
}

main().catch((error: unknown) => {
  process.stderr.write(`hub: error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
