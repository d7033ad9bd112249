#!/usr/bin/env node
import 'reflect-metadata';
import { CLIENT_SETTINGS, validateClientSettings } from '@dske/topology';
import { parseNodeCommandLine, startNodeApp } from '@dske/service-runtime';
import { ClientModule } from './client.module';
import { ClientConfig } from './client-config';
import { ETSI_ERROR_RENDERER } from './etsi/etsi-error';

const DESCRIPTION = 'DSKE Client: a KME serving keys to its encryptors over ETSI GS QKD 014, relaying key shares through the hubs';

async function main(): Promise<void> {
  const { name, settings } = parseNodeCommandLine('client', DESCRIPTION, CLIENT_SETTINGS, process.argv.slice(2));
  const config: ClientConfig = {
    name,
    port: settings.port as number,
    host: settings.host as string,
    hubUrls: (settings.hubs as string[] | undefined) ?? [],
    encryptors: (settings.encryptors as string[] | undefined) ?? [],
    minNrShares: settings.min_nr_shares as number,
    startRequestPsrdThreshold: settings.start_request_psrd_threshold as number,
    stopRequestPsrdThreshold: settings.stop_request_psrd_threshold as number,
    getPsrdBlockSize: settings.get_psrd_block_size as number,
    requestTimeoutMs: 5000,
    showPsrdPreview: process.env.DSKE_HIDE_PSRD !== '1',
  };
  try {
    validateClientSettings({
      hubs: config.hubUrls,
      min_nr_shares: config.minNrShares,
      start_request_psrd_threshold: config.startRequestPsrdThreshold,
      stop_request_psrd_threshold: config.stopRequestPsrdThreshold,
      get_psrd_block_size: config.getPsrdBlockSize,
    });
  } catch (error) {
    process.stderr.write(`client: error: ${(error as Error).message}\n`);
    process.exit(2);
  }
  await startNodeApp({
    module: ClientModule.forConfig(config),
    kind: 'client',
    name,
    host: config.host,
    port: config.port,
    description: DESCRIPTION,
    saeBearerAuth: true,
    errorRenderers: [ETSI_ERROR_RENDERER],
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`client: error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
