import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ClientMetrics } from '../metrics/client-metrics';
import type { ClientStatus } from '@dske/core';
import { Readiness } from '@dske/service-runtime';
import { CLIENT_CONFIG, ClientConfig } from '../client-config';
import { HubConnection } from './hub-connection';
import { ClientState } from '../state/client-state';

/** How long readiness waits for hubs beyond the min_nr_shares that are already registered. */
const READY_GRACE_MS = 10_000;
/** How often a registered hub that stopped answering is asked whether it is back. */
const PROBE_EVERY_MS = 2000;

/** The client's hubs, in topology order (share i goes to hub i). */
@Injectable()
export class PeerHubs implements OnApplicationBootstrap, OnApplicationShutdown, Readiness {
  readonly hubs: HubConnection[];
  private readonly logger = new Logger('PeerHubs');

  constructor(
    @Inject(CLIENT_CONFIG) private readonly config: ClientConfig,
    @Inject(ClientState) private readonly state: ClientState,
    @Optional() metrics?: ClientMetrics,
  ) {
    this.hubs = config.hubUrls.map((url, i) => new HubConnection(i, url, config, this.logger, undefined, state, metrics));
    metrics?.watchHubs(() => this.hubs);
  }

  private startedAt = Date.now();
  private probeTimer?: NodeJS.Timeout;

  onApplicationBootstrap(): void {
    this.startedAt = Date.now();
    for (const hub of this.hubs) void hub.start();
    this.probeTimer = setInterval(() => this.hubs.forEach((hub) => void hub.probe()), PROBE_EVERY_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.probeTimer);
    await Promise.all(this.hubs.map((hub) => hub.close()));
    await this.state.close();
  }

  /**
   * Ready once every hub is registered and holds PSRD; if some hub stays
   * unreachable, ready with min_nr_shares of them after a grace period, so a
   * start does not report readiness while reachable hubs are still joining.
   */
  notReadyReason(): string | undefined {
    const usable = this.hubs.filter((hub) => hub.isUsable).length;
    if (usable < this.config.minNrShares) {
      return `${usable} of ${this.hubs.length} hubs registered with PSRD; ${this.config.minNrShares} needed`;
    }
    if (usable === this.hubs.length || Date.now() - this.startedAt >= READY_GRACE_MS) return undefined;
    const waiting = this.hubs.filter((hub) => !hub.isUsable).map((hub) => hub.hubName);
    return `waiting up to ${READY_GRACE_MS / 1000} s for hubs ${waiting.join(', ')} (${usable} of ${this.hubs.length} registered with PSRD)`;
  }

  status(): ClientStatus {
    return {
      name: this.config.name,
      encryptor_names: [...this.config.encryptors],
      peer_hubs: this.hubs.map((hub) => ({
        hub_name: hub.hubName,
        hub_url: hub.url,
        registered: hub.isRegistered,
        reachable: hub.isReachable,
        ...hub.poolsStatus(this.config.showPsrdPreview),
      })),
    };
  }
}
