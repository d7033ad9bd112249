import { Inject, Injectable } from '@nestjs/common';
import { API_VERSION, counterTotal, NodeMetrics, requestOutcome, type CompletedRequest, type RequestObserver } from '@dske/service-runtime';
import { HUB_CONFIG, type HubConfig } from '../hub-config';
import type { PeerClient } from '../peers/peer-client-registry';

/** The client-facing routes a hub times (below its /hub/NAME prefix). */
const HUB_ROUTES = new Set([
  '/dske/api/v1/key-share',
  '/dske/api/v1/key-shares',
  '/dske/api/v1/key-share-acks',
  '/dske/oob/v1/registration',
  '/dske/oob/v1/psrd',
  '/dske/oob/v1/psrd-confirmation',
  '/dske/oob/v1/encryptors',
]);

/**
 * What a hub counts for Prometheus (GET /metrics): the shares it holds and
 * what became of them, registrations, PSRD blocks handed out, its pools and
 * how long its answers to clients take. The services that do the work report
 * here; the pools and shares held are read when scraped.
 */
@Injectable()
export class HubMetrics implements RequestObserver {
  readonly node: NodeMetrics;
  readonly sharesStored;
  readonly sharesDelivered;
  readonly sharesExpired;
  readonly registrations;
  readonly psrdBlocks;
  private readonly requests;
  private clients: () => readonly PeerClient[] = () => [];
  private held: () => number = () => 0;

  constructor(@Inject(HUB_CONFIG) config: HubConfig) {
    const node = new NodeMetrics('hub', config.name, API_VERSION);
    this.node = node;
    this.sharesStored = node.counter('dske_shares_stored_total', 'Key shares this hub accepted from initiating clients');
    this.sharesDelivered = node.counter('dske_shares_delivered_total', 'Key shares this hub handed to responding clients (a fetch that is retried counts again)');
    this.sharesExpired = node.counter('dske_shares_expired_total', 'Key shares that reached the share timeout before their key was acknowledged');
    node.gauge('dske_shares_held', 'Key shares this hub holds now, waiting for their responder or its acknowledgement', [], () => [{ labels: {}, value: this.held() }]);
    this.registrations = node.counter('dske_registrations_total', 'Client registrations this hub accepted', ['peer']);
    node.gauge('dske_peers_registered', 'Clients registered with this hub now', [], () => [{ labels: {}, value: this.clients().length }]);
    this.psrdBlocks = node.counter('dske_psrd_blocks_total', 'PSRD blocks this hub handed out (refills), by client and by who allocates from the block', ['peer', 'owner']);
    this.requests = node.histogram('dske_hub_request_duration_seconds', "Time to answer a client's request: key shares in band, registration and PSRD out of band", ['route', 'outcome']);
    node.psrdPools(() =>
      this.clients().flatMap((c) => [
        { peer: c.name, owner: 'hub' as const, pool: c.localPool },
        { peer: c.name, owner: 'client' as const, pool: c.peerPool },
      ]),
    );
  }

  /** Where the registered clients are (their pools are read when scraped). */
  watchClients(clients: () => readonly PeerClient[]): void {
    this.clients = clients;
  }

  /** How many shares the hub holds now. */
  watchShares(held: () => number): void {
    this.held = held;
  }

  /** The share counters for mgmt status, shares that expired by now counted first (as a scrape does). */
  async activity(): Promise<{ shares_held: number; shares_stored: number; shares_delivered: number; shares_expired: number }> {
    return {
      shares_held: this.held(),
      shares_stored: await counterTotal(this.sharesStored),
      shares_delivered: await counterTotal(this.sharesDelivered),
      shares_expired: await counterTotal(this.sharesExpired),
    };
  }

  observeRequest(done: CompletedRequest): void {
    // Only the client-facing APIs (mgmt, health and the docs are not the hub's work); a refusal before routing
    // (a body that is not JSON, a method the path does not have) by its path, which has no parameters.
    const route = done.route ?? done.path;
    if (!HUB_ROUTES.has(route)) return;
    this.requests.observe({ route: `${done.method} ${route}`, outcome: requestOutcome(done) }, done.seconds);
  }
}
