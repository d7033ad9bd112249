import { describe, expect, it } from 'vitest';
import { Scrape } from '@dske/test-support';
import type { HubConfig } from '../hub-config';
import { HubMetrics } from './hub-metrics';

const config = { name: 'hank' } as HubConfig;
const refusal = (code: string, status: number) => ({ statusCode: status, error: 'x', code, message: code });

describe('HubMetrics.observeRequest', () => {
  it("times the client-facing routes, also refusals before routing, and nothing else", async () => {
    const metrics = new HubMetrics(config);
    metrics.observeRequest({ method: 'POST', route: '/dske/api/v1/key-share', path: '/dske/api/v1/key-share', status: 200, seconds: 0.001, aborted: false });
    metrics.observeRequest({ method: 'POST', route: undefined, path: '/dske/api/v1/key-shares', status: 415, error: refusal('unsupported-media-type', 415), seconds: 0.001, aborted: false });
    metrics.observeRequest({ method: 'GET', route: '/mgmt/v1/status', path: '/mgmt/v1/status', status: 200, seconds: 0.001, aborted: false });
    metrics.observeRequest({ method: 'GET', route: undefined, path: '/dske/api/v1/anything-else', status: 404, seconds: 0.001, aborted: false });
    const scrape = new Scrape(await metrics.node.render());
    expect(scrape.value('dske_hub_request_duration_seconds_count', { route: 'POST /dske/api/v1/key-share', outcome: 'ok' })).toBe(1);
    expect(scrape.value('dske_hub_request_duration_seconds_count', { route: 'POST /dske/api/v1/key-shares', outcome: 'unsupported-media-type' })).toBe(1);
    expect(scrape.value('dske_hub_request_duration_seconds_count')).toBe(2);
  });

  it('activity counts the shares held (expired ones dropped first) beside the counters', async () => {
    const metrics = new HubMetrics(config);
    let held = 3;
    metrics.watchShares(() => held);
    metrics.sharesStored.inc(4);
    metrics.sharesDelivered.inc(1);
    expect(await metrics.activity()).toEqual({ shares_held: 3, shares_stored: 4, shares_delivered: 1, shares_expired: 0 });
    held = 0;
    expect((await metrics.activity()).shares_held).toBe(0);
  });
});
