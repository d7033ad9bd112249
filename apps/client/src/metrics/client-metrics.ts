import { Inject, Injectable } from '@nestjs/common';
import { API_VERSION, counterTotal, NodeMetrics, outcomeOf, requestOutcome, type CompletedRequest, type RequestObserver } from '@dske/service-runtime';
import { CLIENT_CONFIG, type ClientConfig } from '../client-config';
import { ETSI_PREFIXED_PATH, ETSI_ROOT_PATH } from '../etsi/etsi-paths';
import type { HubConnection } from '../peers/hub-connection';

/** One refused or failed ETSI request, as mgmt status lists the latest (no key material: the JSON error's code and message). */
export interface EtsiErrorRecord {
  time: string;
  method: string;
  route: string;
  status: number;
  code: string;
  message: string;
}

/** How many ETSI errors mgmt status keeps. */
export const RECENT_ETSI_ERRORS = 10;

const ETSI_ROUTE = new RegExp(`^/(?:${ETSI_PREFIXED_PATH}|${ETSI_ROOT_PATH})/:[A-Za-z_]+/(enc_keys|dec_keys|status)$`);
/** An ETSI path refused before routing (a body that is not JSON, a method the path does not have): its route pattern. */
const ETSI_PATH = new RegExp(`^/(${ETSI_PREFIXED_PATH}|${ETSI_ROOT_PATH})/[^/]+/(enc_keys|dec_keys|status)$`);
const PARAM_OF: Record<string, string> = { enc_keys: ':slave_SAE_ID', dec_keys: ':master_SAE_ID', status: ':slave_SAE_ID' };
const ROLE_OF: Record<string, 'master' | 'slave' | undefined> = { enc_keys: 'master', dec_keys: 'slave' };
/** Key IDs in error messages ("... a share of key <uuid>"): kept in mgmt status only in lab mode, as the hubs do. */
const KEY_ID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
/** Distinct error codes a hub's answers may add as outcome labels; past this, the status stands in (a hub could send any text). */
const MAX_HUB_OUTCOMES = 40;

/** The route pattern of an ETSI request: matched by the router, or recognised from its path when refused before routing. */
function etsiRoute(done: CompletedRequest): { route: string; operation: string } | undefined {
  if (done.route !== undefined) {
    const matched = ETSI_ROUTE.exec(done.route);
    return matched === null ? undefined : { route: done.route, operation: matched[1] };
  }
  const path = ETSI_PATH.exec(done.path);
  return path === null ? undefined : { route: `/${path[1]}/${PARAM_OF[path[2]]}/${path[2]}`, operation: path[2] };
}

/**
 * What a client counts for Prometheus (GET /metrics): keys made and
 * delivered, failed key requests by reason, ETSI and hub-call latencies,
 * registrations, refills and its pools; and the latest ETSI errors for
 * mgmt status. The key relay, the ETSI service and the hub connections report
 * here; the pools are read when scraped.
 */
@Injectable()
export class ClientMetrics implements RequestObserver {
  readonly node: NodeMetrics;
  readonly keysMade;
  readonly keysDelivered;
  readonly keyRequestsFailed;
  readonly registrations;
  readonly psrdBlocks;
  private readonly etsiRequests;
  private readonly hubCalls;
  private readonly recent: EtsiErrorRecord[] = [];
  private readonly hubOutcomes = new Set<string>();
  private readonly showKeyIds: boolean;
  private hubs: () => readonly HubConnection[] = () => [];

  constructor(@Inject(CLIENT_CONFIG) config: ClientConfig) {
    this.showKeyIds = config.showPsrdPreview;
    const node = new NodeMetrics('client', config.name, API_VERSION);
    this.node = node;
    this.keysMade = node.counter('dske_keys_made_total', "Keys this client made for its master SAEs (shares stored on at least min_nr_shares hubs)");
    this.keysDelivered = node.counter('dske_keys_delivered_total', 'Keys handed to an SAE in an answer that was sent: as the master (Get Key) or the slave (Get Key with Key IDs)', ['role']);
    this.keyRequestsFailed = node.counter('dske_key_requests_failed_total', 'ETSI Get Key (role master) and Get Key with Key IDs (role slave) requests refused or failed, by the ETSI error code', ['role', 'reason']);
    this.etsiRequests = node.histogram('dske_etsi_request_duration_seconds', 'Time to answer an ETSI GS QKD 014 request, by route and outcome (ok or the error code)', ['route', 'outcome']);
    this.hubCalls = node.histogram('dske_hub_call_duration_seconds', "Time of this client's calls to its hubs, by hub, route and outcome (ok, the hub's error code, or no-answer)", ['peer', 'route', 'outcome']);
    this.registrations = node.counter('dske_registrations_total', 'Registrations this client made with a hub (at start, and again after a hub lost it)', ['peer']);
    this.psrdBlocks = node.counter('dske_psrd_blocks_total', 'PSRD blocks this client fetched from a hub (refills), by who allocates from the block', ['peer', 'owner']);
    node.gauge('dske_peers_registered', 'Hubs this client is registered with now', [], () => [{ labels: {}, value: this.hubs().filter((h) => h.isRegistered).length }]);
    node.gauge('dske_peers_reachable', 'Hubs whose last call got an answer', [], () => [{ labels: {}, value: this.hubs().filter((h) => h.isReachable).length }]);
    node.psrdPools(() =>
      this.hubs().flatMap((hub) => [
        { peer: hub.hubName, owner: 'client' as const, pool: hub.localPool },
        { peer: hub.hubName, owner: 'hub' as const, pool: hub.peerPool },
      ]),
    );
  }

  /** Where the hub connections are (their pools and reachability are read when scraped). */
  watchHubs(hubs: () => readonly HubConnection[]): void {
    this.hubs = hubs;
  }

  /** One call to a hub ended: `status` undefined when no answer came. */
  observeHubCall(hub: string, route: string, status: number | undefined, errorCode: string | undefined, seconds: number): void {
    this.hubCalls.observe({ peer: hub, route, outcome: status === undefined ? 'no-answer' : outcomeOf(status, this.boundedHubCode(errorCode)) }, seconds);
  }

  /** A hub's error code as a label value, from a bounded set: the answer may be unsigned, or not from the hub at all. */
  private boundedHubCode(code: string | undefined): string | undefined {
    if (code === undefined || !/^[a-z][a-z0-9.-]{0,39}$/.test(code)) return undefined;
    if (this.hubOutcomes.has(code)) return code;
    if (this.hubOutcomes.size >= MAX_HUB_OUTCOMES) return undefined;
    this.hubOutcomes.add(code);
    return code;
  }

  observeRequest(done: CompletedRequest): void {
    const etsi = etsiRoute(done);
    if (etsi === undefined) return;
    const outcome = requestOutcome(done);
    this.etsiRequests.observe({ route: `${done.method} ${etsi.route}`, outcome }, done.seconds);
    if (done.status < 400 || done.aborted) return;
    // A refusal's outcome is its error code (or http-STATUS).
    const code = outcome;
    const role = ROLE_OF[etsi.operation];
    if (role !== undefined) this.keyRequestsFailed.inc({ role, reason: code });
    const message = done.error?.message ?? '';
    this.recent.push({ time: new Date().toISOString(), method: done.method, route: etsi.route, status: done.status, code, message: this.showKeyIds ? message : message.replace(KEY_ID, '<key ID>') });
    if (this.recent.length > RECENT_ETSI_ERRORS) this.recent.shift();
  }

  /** The counters and the latest ETSI errors, for mgmt status. */
  async activity(): Promise<{ keys_made: number; keys_delivered: number; key_requests_failed: number; recent_etsi_errors: EtsiErrorRecord[] }> {
    return {
      keys_made: await counterTotal(this.keysMade),
      keys_delivered: await counterTotal(this.keysDelivered),
      key_requests_failed: await counterTotal(this.keyRequestsFailed),
      recent_etsi_errors: this.recentEtsiErrors(),
    };
  }

  /** The latest ETSI errors, newest first. */
  recentEtsiErrors(): EtsiErrorRecord[] {
    return [...this.recent].reverse();
  }
}
