import { Inject, Injectable } from '@nestjs/common';
import { CLIENT_CONFIG, ClientConfig } from '../client-config';
import { PeerHubs } from './peer-hubs';

const REFRESH_AFTER_MS = 2000;

/**
 * Which KME (client) serves an SAE. Local encryptors are known; others come
 * from the hubs' registration records, asked again on a miss at most every
 * two seconds (a peer client may register after us).
 */
@Injectable()
export class SaeDirectory {
  private readonly known = new Map<string, string>();
  private refreshedAt = 0;
  private refreshing?: Promise<void>;

  constructor(
    private readonly peers: PeerHubs,
    @Inject(CLIENT_CONFIG) config: ClientConfig,
  ) {
    for (const sae of config.encryptors) this.known.set(sae, config.name);
  }

  async clientFor(sae: string): Promise<string | undefined> {
    if (!this.known.has(sae) && Date.now() - this.refreshedAt > REFRESH_AFTER_MS) await this.refresh();
    return this.known.get(sae);
  }

  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const hubs = this.peers.hubs.filter((h) => h.isRegistered);
      const answers = await Promise.allSettled(hubs.map((h) => h.encryptorDirectory()));
      for (const answer of answers) {
        if (answer.status !== 'fulfilled') continue;
        for (const entry of answer.value) {
          for (const sae of entry.encryptor_names) if (!this.known.has(sae)) this.known.set(sae, entry.client_name);
        }
      }
      this.refreshedAt = Date.now();
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }
}
