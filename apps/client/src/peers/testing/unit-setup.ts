import type { ClientConfig } from '../../client-config';

/** The client the unit tests run: one encryptor, k = 1, the topology's PSRD thresholds and block size. */
export const TEST_CONFIG: ClientConfig = {
  name: 'ca',
  port: 1,
  host: '127.0.0.1',
  hubUrls: [],
  encryptors: ['sa'],
  minNrShares: 1,
  startRequestPsrdThreshold: 500,
  stopRequestPsrdThreshold: 2000,
  getPsrdBlockSize: 1000,
  requestTimeoutMs: 2000,
  showPsrdPreview: false,
};

/** A logger that says nothing. */
export const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined } as never;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `check` holds, or fail after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
