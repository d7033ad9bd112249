#!/usr/bin/env node
import { CLIENT_SETTINGS, validateClientSettings } from '@dske/topology/nodes';
// Only the command-line parser is loaded up front, so `--help` and bad flags answer without loading NestJS.
import { deferDateTimeFormat, parseNodeCommandLine, readMgmtToken, readTlsFiles } from '@dske/service-runtime/cli';
import type { ClientConfig } from './client-config';

const DESCRIPTION = 'DSKE Client: a KME serving keys to its encryptors over ETSI GS QKD 014, relaying key shares through the hubs';

/** Mutual TLS on the ETSI API, with where a certificate names its SAE; absent in lab mode. */
function readTls(settings: Record<string, unknown>): ClientConfig['tls'] {
  const files = readTlsFiles('client', settings);
  return files && { ...files, saeIdFrom: settings.tls_sae_id_from === 'san' ? 'san' : 'cn' };
}

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
    tls: readTls(settings),
    mgmtToken: readMgmtToken('client', settings),
    healthPort: settings.health_port as number | undefined,
    signatureVersion: settings.signature_version === '1' ? 1 : 2,
    stateDir: settings.state_dir as string | undefined,
    stateSync: settings.state_sync as 'full' | 'normal',
  };
  try {
    validateClientSettings({
      hubs: config.hubUrls,
      min_nr_shares: config.minNrShares,
      allow_single_share: settings.allow_single_share === 'yes',
      start_request_psrd_threshold: config.startRequestPsrdThreshold,
      stop_request_psrd_threshold: config.stopRequestPsrdThreshold,
      get_psrd_block_size: config.getPsrdBlockSize,
    });
  } catch (error) {
    process.stderr.write(`client: error: ${(error as Error).message}\n`);
    process.exit(2);
  }
  // Before NestJS loads: its formatters would pull ICU data into memory for timestamps this node writes itself.
  deferDateTimeFormat();
  const { startClient } = await import('./start-client.js');
  await startClient(config, DESCRIPTION);
}

main().catch((error: unknown) => {
  process.stderr.write(`client: error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
