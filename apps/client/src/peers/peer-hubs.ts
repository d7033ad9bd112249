import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ClientStatus } from '@dske/core';
import { Readiness } from '@dske/service-runtime';
import { CLIENT_CONFIG, ClientConfig } from '../client-config';
import { HubConnection } from './hub-connection';

/** The client's hubs, in topology order (share i goes to hub i). */
@Injectable()
export class PeerHubs implements OnApplicationBootstrap, OnApplicationShutdown, Readiness {
  readonly hubs: HubConnection[];
  private readonly logger = new Logger('PeerHubs');

  constructor(@Inject(CLIENT_CONFIG) private readonly config: ClientConfig) {
    this.hubs = config.hubUrls.map((url, i) => new HubConnection(i, url, config, this.logger));
  }

  onApplicationBootstrap(): void {
    for (const hub of this.hubs) void hub.startRegistration();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.hubs.map((hub) => hub.close()));
  }

  notReadyReason(): string | undefined {
    const usable = this.hubs.filter((hub) => hub.isUsable).length;
    if (usable >= this.config.minNrShares) return undefined;
    return `${usable} of ${this.hubs.length} hubs registered with PSRD; ${this.config.minNrShares} needed`;
  }

  status(): ClientStatus {
    return {
      name: this.config.name,
      encryptor_names: [...this.config.encryptors],
      peer_hubs: this.hubs.map((hub) => ({
        hub_name: hub.hubName,
        hub_url: hub.url,
        registered: hub.isRegistered,
        ...hub.poolsStatus(this.config.showPsrdPreview),
      })),
    };
  }
}
