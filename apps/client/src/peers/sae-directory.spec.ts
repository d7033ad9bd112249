import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../client-config';
import { HubConnection } from './hub-connection';
import type { PeerHubs } from './peer-hubs';
import { SaeDirectory } from './sae-directory';
import { ScriptedHub } from './testing/scripted-hub';

const CONFIG: ClientConfig = {
  name: 'ca', port: 1, host: '127.0.0.1', hubUrls: [], encryptors: ['sa'], minNrShares: 2,
  startRequestPsrdThreshold: 500, stopRequestPsrdThreshold: 2000, getPsrdBlockSize: 1000, requestTimeoutMs: 2000, showPsrdPreview: false,
};
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined } as never;

async function directoryOver(withDirectory: boolean[]) {
  const scripted = withDirectory.map((directory) => Object.assign(new ScriptedHub(), { directory }));
  const hubs = scripted.map((hub, i) => new HubConnection(i, `http://hub.test/hub/h${i}`, CONFIG, quiet, hub));
  await Promise.all(hubs.map((h) => h.startRegistration()));
  return { hubs, directory: new SaeDirectory({ hubs } as unknown as PeerHubs, CONFIG) };
}

describe('SaeDirectory', () => {
  it('an SAE a directory lists is at its KME; one none lists is unknown', async () => {
    const { hubs, directory } = await directoryOver([true, true]);
    expect(await directory.lookup('sa')).toEqual({ kme: 'ca' });
    expect(await directory.lookup('sx')).toBeUndefined();
    await Promise.all(hubs.map((h) => h.close()));
  });

  it('with a hub that has no directory (404, as the reference\'s), an SAE no other hub lists is left to the hubs to route', async () => {
    const { hubs, directory } = await directoryOver([true, false]);
    expect(await directory.lookup('sx')).toEqual({ routedByHubs: true });
    expect(await directory.lookup('sa')).toEqual({ kme: 'ca' });
    await Promise.all(hubs.map((h) => h.close()));
  });
});
