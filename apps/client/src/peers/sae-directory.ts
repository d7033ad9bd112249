import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLIENT_CONFIG, ClientConfig } from '../client-config';
import { HubCallError } from './hub-errors';
import { PeerHubs } from './peer-hubs';

const REFRESH_AFTER_MS = 2000;

/**
 * Where an SAE is: at a KME a hub's directory names, or (no directory names
 * it, but a hub without a directory may know it) wherever the hubs route its
 * shares, as the reference implementation's hubs do by slave SAE.
 */
export type SaeLocation = { kme: string } | { routedByHubs: true };

/**
 * Which KME (client) serves an SAE. Local encryptors are known; others come
 * from the hubs' registration records, asked again on a miss at most every
 * two seconds (a peer client may register after us). A hub that has no
 * directory (404: an older hub, or the reference's) must not stop a key: an
 * SAE the other directories do not list is then left to the hubs to route.
 */
@Injectable()
export class SaeDirectory {
  private readonly known = new Map<string, string>();
  /** Registered hubs whose last directory request answered 404. */
  private readonly withoutDirectory = new Set<string>();
  /** Hubs already logged as having no directory (once each). */
  private readonly told = new Set<string>();
  private refreshedAt = 0;
  private refreshing?: Promise<void>;
  private readonly logger = new Logger('SaeDirectory');

  constructor(
    private readonly peers: PeerHubs,
    @Inject(CLIENT_CONFIG) config: ClientConfig,
  ) {
    for (const sae of config.encryptors) this.known.set(sae, config.name);
  }

  /** Where `sae` is, or undefined when no hub knows it. */
  async lookup(sae: string): Promise<SaeLocation | undefined> {
    if (!this.known.has(sae) && Date.now() - this.refreshedAt > REFRESH_AFTER_MS) await this.refresh();
    const kme = this.known.get(sae);
    if (kme !== undefined) return { kme };
    return this.withoutDirectory.size > 0 ? { routedByHubs: true } : undefined;
  }

  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const hubs = this.peers.hubs.filter((h) => h.isRegistered);
      const answers = await Promise.allSettled(hubs.map((h) => h.encryptorDirectory()));
      for (const [i, answer] of answers.entries()) {
        const hub = hubs[i].hubName;
        if (answer.status === 'rejected') {
          if (answer.reason instanceof HubCallError && answer.reason.status === 404) this.noDirectoryAt(hub);
          continue;
        }
        this.withoutDirectory.delete(hub);
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

  private noDirectoryAt(hub: string): void {
    this.withoutDirectory.add(hub);
    if (this.told.has(hub)) return;
    this.told.add(hub);
    this.logger.log(`Hub ${hub} has no encryptor directory (an older or the reference's hub): SAEs no other hub lists are left to the hubs to route, and Status gives no target_KME_ID for them`);
  }
}
