import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpJson, TopologyHarness } from '@dske/test-support';

const TOKEN = 'lab-0f3c9e';

describe('mgmt API with --mgmt-token (DSKE_MGMT_TOKEN)', () => {
  let topology: TopologyHarness;

  beforeAll(async () => {
    topology = await TopologyHarness.start({
      hubs: ['ha', 'hb'],
      clients: [{ name: 'ca', encryptors: ['sa'] }],
      minNrShares: 2,
      env: { DSKE_MGMT_TOKEN: TOKEN },
    });
  });
  afterAll(async () => {
    await topology?.close();
  });

  for (const [kind, name] of [['hub', 'ha'], ['client', 'ca']] as const) {
    const base = () => (kind === 'hub' ? topology.hubUrl(name) : topology.clientUrl(name));

    it(`${kind}: status and stop need the token (401 without or with a wrong one), and work with it`, async () => {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }]) {
        const status = await httpJson<{ code: string }>('GET', `${base()}/mgmt/v1/status`, { headers });
        expect(status.status).toBe(401);
        expect(status.body.code).toBe('mgmt.unauthorized');
        expect((await httpJson('POST', `${base()}/mgmt/v1/stop`, { headers })).status).toBe(401);
      }
      const ok = await httpJson<{ name: string }>('GET', `${base()}/mgmt/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(ok.body.name).toBe(name);
      // Prometheus metrics are mgmt too: the same token rules.
      const metrics = `http://127.0.0.1:${(kind === 'hub' ? topology.hub(name) : topology.client(name)).port}/metrics`;
      for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
        const refused = await httpJson<{ code: string }>('GET', metrics, { headers });
        expect([refused.status, refused.body.code]).toEqual([401, 'mgmt.unauthorized']);
      }
      const scraped = await fetch(metrics, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; .*version=0\.0\.4/);
      expect(await scraped.text()).toContain(`dske_node_info{kind="${kind}",name="${name}"`);
      // Health stays open for probes; the refused stops changed nothing.
      expect((await httpJson('GET', `http://127.0.0.1:${(kind === 'hub' ? topology.hub(name) : topology.client(name)).port}/readyz`)).status).toBe(200);
    });
  }

  it('the token never reaches a log', () => {
    for (const node of [...topology.hubs.values(), ...topology.clients.values()]) expect(node.log()).not.toContain(TOKEN);
  });
});
