import { describe, expect, it } from 'vitest';
import { Scrape } from '@dske/test-support';
import { TEST_CONFIG } from '../peers/testing/unit-setup';
import { ClientMetrics, RECENT_ETSI_ERRORS } from './client-metrics';

const refusal = (code: string, status = 400) => ({ statusCode: status, error: 'Bad Request', code, message: `refused: ${code}` });

describe('ClientMetrics.observeRequest', () => {
  it('times ETSI requests by route and outcome, at both mount points, and nothing else', async () => {
    const metrics = new ClientMetrics(TEST_CONFIG);
    metrics.observeRequest({ method: 'GET', route: '/etsi/api/v1/keys/:slave_SAE_ID/enc_keys', path: '', status: 200, seconds: 0.02, aborted: false });
    metrics.observeRequest({ method: 'GET', route: '/api/v1/keys/:slave_SAE_ID/status', path: '', status: 200, seconds: 0.001, aborted: false });
    metrics.observeRequest({ method: 'GET', route: '/mgmt/v1/status', path: '', status: 200, seconds: 0.001, aborted: false });
    metrics.observeRequest({ method: 'GET', route: undefined, path: '/nowhere', status: 404, seconds: 0.001, aborted: false });
    const scrape = new Scrape(await metrics.node.render());
    expect(scrape.value('dske_etsi_request_duration_seconds_count')).toBe(2);
    expect(scrape.value('dske_etsi_request_duration_seconds_count', { route: 'GET /api/v1/keys/:slave_SAE_ID/status', outcome: 'ok' })).toBe(1);
    expect(metrics.recentEtsiErrors()).toEqual([]);
  });

  it('counts a refused Get Key under the master role and its reason, Get Key with Key IDs under the slave; status refusals only in the list', async () => {
    const metrics = new ClientMetrics(TEST_CONFIG);
    metrics.observeRequest({ method: 'GET', route: '/etsi/api/v1/keys/:slave_SAE_ID/enc_keys', path: '', status: 503, error: refusal('etsi.hubs-unavailable', 503), seconds: 5, aborted: false });
    metrics.observeRequest({ method: 'POST', route: '/api/v1/keys/:master_SAE_ID/dec_keys', path: '', status: 400, error: refusal('etsi.keys-not-found'), seconds: 0.01, aborted: false });
    metrics.observeRequest({ method: 'GET', route: '/etsi/api/v1/keys/:slave_SAE_ID/status', path: '', status: 401, error: refusal('etsi.unauthorized', 401), seconds: 0.01, aborted: false });
    // An SAE that hung up is timed as aborted, and is no refusal.
    metrics.observeRequest({ method: 'GET', route: '/etsi/api/v1/keys/:master_SAE_ID/dec_keys', path: '', status: 200, seconds: 0.01, aborted: true });
    const scrape = new Scrape(await metrics.node.render());
    expect(scrape.value('dske_key_requests_failed_total', { role: 'master', reason: 'etsi.hubs-unavailable' })).toBe(1);
    expect(scrape.value('dske_key_requests_failed_total', { role: 'slave', reason: 'etsi.keys-not-found' })).toBe(1);
    expect(scrape.value('dske_key_requests_failed_total')).toBe(2);
    expect(scrape.value('dske_etsi_request_duration_seconds_count', { outcome: 'aborted' })).toBe(1);
    expect(metrics.recentEtsiErrors().map((e) => [e.method, e.status, e.code])).toEqual([
      ['GET', 401, 'etsi.unauthorized'],
      ['POST', 400, 'etsi.keys-not-found'],
      ['GET', 503, 'etsi.hubs-unavailable'],
    ]);
  });

  it(`keeps the latest ${RECENT_ETSI_ERRORS} errors, newest first`, () => {
    const metrics = new ClientMetrics(TEST_CONFIG);
    for (let i = 0; i < RECENT_ETSI_ERRORS + 5; i++) {
      metrics.observeRequest({ method: 'GET', route: '/etsi/api/v1/keys/:slave_SAE_ID/enc_keys', path: '', status: 400, error: refusal(`etsi.e${i}`), seconds: 0, aborted: false });
    }
    const codes = metrics.recentEtsiErrors().map((e) => e.code);
    expect(codes).toHaveLength(RECENT_ETSI_ERRORS);
    expect(codes[0]).toBe(`etsi.e${RECENT_ETSI_ERRORS + 4}`);
    expect(codes.at(-1)).toBe('etsi.e5');
  });

  it('times hub calls by hub, route and outcome; a call without an answer is no-answer', async () => {
    const metrics = new ClientMetrics(TEST_CONFIG);
    metrics.observeHubCall('hank', 'POST /dske/api/v1/key-share', 200, undefined, 0.002);
    metrics.observeHubCall('hank', 'POST /dske/api/v1/key-share', 503, 'psrd.exhausted', 0.002);
    metrics.observeHubCall('hugo', 'GET /dske/oob/v1/psrd', undefined, undefined, 5);
    const scrape = new Scrape(await metrics.node.render());
    expect(scrape.value('dske_hub_call_duration_seconds_count', { peer: 'hank', outcome: 'ok' })).toBe(1);
    expect(scrape.value('dske_hub_call_duration_seconds_count', { peer: 'hank', outcome: 'psrd.exhausted' })).toBe(1);
    expect(scrape.value('dske_hub_call_duration_seconds_count', { peer: 'hugo', route: 'GET /dske/oob/v1/psrd', outcome: 'no-answer' })).toBe(1);
  });
});

describe('ClientMetrics: refusals before routing and key IDs', () => {
  it('a refusal before routing (no route) is recognised by its ETSI path, with the route pattern as label', async () => {
    const metrics = new ClientMetrics(TEST_CONFIG);
    metrics.observeRequest({ method: 'POST', route: undefined, path: '/etsi/api/v1/keys/sunny/enc_keys', status: 415, error: refusal('unsupported-media-type', 415), seconds: 0, aborted: false });
    metrics.observeRequest({ method: 'DELETE', route: undefined, path: '/api/v1/keys/sam/dec_keys', status: 405, error: refusal('method-not-allowed', 405), seconds: 0, aborted: false });
    // Not ETSI paths: not counted (and no label from an arbitrary path).
    metrics.observeRequest({ method: 'GET', route: undefined, path: '/etsi/api/v1/keys/sunny/enc_keys/extra', status: 404, seconds: 0, aborted: false });
    metrics.observeRequest({ method: 'GET', route: undefined, path: '/whatever', status: 404, seconds: 0, aborted: false });
    const scrape = new Scrape(await metrics.node.render());
    expect(scrape.value('dske_key_requests_failed_total', { role: 'master', reason: 'unsupported-media-type' })).toBe(1);
    expect(scrape.value('dske_key_requests_failed_total', { role: 'slave', reason: 'method-not-allowed' })).toBe(1);
    expect(scrape.value('dske_etsi_request_duration_seconds_count', { route: 'POST /etsi/api/v1/keys/:slave_SAE_ID/enc_keys' })).toBe(1);
    expect(scrape.value('dske_etsi_request_duration_seconds_count', { route: 'DELETE /api/v1/keys/:master_SAE_ID/dec_keys' })).toBe(1);
    expect(scrape.value('dske_etsi_request_duration_seconds_count')).toBe(2);
    expect(metrics.recentEtsiErrors().map((e) => e.route)).toEqual(['/api/v1/keys/:master_SAE_ID/dec_keys', '/etsi/api/v1/keys/:slave_SAE_ID/enc_keys']);
  });

  it('key IDs in messages are masked unless the node shows PSRD previews (lab mode)', () => {
    const id = '0b7e1a52-8c4f-4d7e-9a3b-5f2c6d1e0a99';
    const failed = (metrics: ClientMetrics) => {
      metrics.observeRequest({ method: 'GET', route: '/etsi/api/v1/keys/:master_SAE_ID/dec_keys', path: '', status: 503, error: { ...refusal('etsi.hubs-unavailable', 503), message: `only 1 of 3 hubs gave a share of key ${id.toUpperCase()}; 2 needed` }, seconds: 0, aborted: false });
      return metrics.recentEtsiErrors()[0].message;
    };
    expect(failed(new ClientMetrics({ ...TEST_CONFIG, showPsrdPreview: false }))).toBe('only 1 of 3 hubs gave a share of key <key ID>; 2 needed');
    expect(failed(new ClientMetrics({ ...TEST_CONFIG, showPsrdPreview: true }))).toContain(id.toUpperCase());
  });

  it("a hub's error codes become outcome labels only from a bounded set", async () => {
    const metrics = new ClientMetrics(TEST_CONFIG);
    for (let i = 0; i < 60; i++) metrics.observeHubCall('hank', 'GET /dske/oob/v1/psrd', 400, `made.up-${i}`, 0.001);
    metrics.observeHubCall('hank', 'GET /dske/oob/v1/psrd', 400, '<script>', 0.001);
    const scrape = new Scrape(await metrics.node.render());
    const outcomes = new Set(scrape.families.get('dske_hub_call_duration_seconds')!.samples.map((s) => s.labels.outcome));
    expect(outcomes.size).toBe(41);
    expect(scrape.value('dske_hub_call_duration_seconds_count', { outcome: 'http-400' })).toBe(21);
  });
});
