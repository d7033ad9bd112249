/**
 * The user guide's "ETSI QKD 014" sections through ./manager etsi-qkd, on the
 * guide's topology: key pairs, a bad key ID, PSRD refill after a large key,
 * and hubs stopped one by one (`--hub hugo stop` ...) until keys fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpAll, guideTopology, manager, parseEtsi, parseStatus, withoutStillWaiting, type TopologyDir } from './support/manager-run';

describe("etsi-qkd on the user guide's topology", () => {
  let t: TopologyDir;
  const p = (i: number) => t.port(i);
  const header = (api: string, client: string, port: number, master: string, slave: string) =>
    `Invoke ETSI QKD ${api} API on client (KME) ${client} port ${port} master encryptor (SAE) ${master} slave encryptor (SAE) ${slave}:`;

  beforeAll(async () => {
    t = await guideTopology();
    const started = await manager(t.dir, ['start']);
    expect(started.code, started.stderr.join('\n')).toBe(0);
  });
  afterAll(cleanUpAll);

  const pairs: Array<[string, string, number, string, string, number]> = [
    ['sam', 'carol', 5, 'sunny', 'curtis', 9],
    ['serena', 'celia', 6, 'susan', 'curtis', 9],
  ];
  for (const [master, masterClient, mi, slave, slaveClient, si] of pairs) {
    it(`get-key-pair ${master} ${slave} --size 1024 prints both calls and "Key values match"`, async () => {
      const run = await manager(t.dir, ['etsi-qkd', master, slave, 'get-key-pair', '--size', '1024']);
      expect(run.stderr).toEqual([]);
      expect(run.code).toBe(0);
      expect(run.stdout[run.stdout.length - 1]).toBe('Key values match');
      const calls = parseEtsi(run.stdout);
      expect(calls.map((c) => c.header)).toEqual([
        header('Get Key', masterClient, p(mi), master, slave),
        header('Get Key with Key IDs', slaveClient, p(si), master, slave),
      ]);
      const [made, fetched] = calls.map((c) => (c.body as { keys: Array<{ key_ID: string; key: string }> }).keys);
      expect(made).toHaveLength(1);
      expect(Buffer.from(made[0].key, 'base64')).toHaveLength(128);
      expect(fetched).toEqual(made);
      // The guide's 2-space JSON layout.
      expect(run.stdout[1]).toBe('{');
      expect(run.stdout[2]).toBe('  "keys": [');
    });
  }

  it('get-key then get-key-with-key-ids with the returned ID: the same key, once', async () => {
    const made = await manager(t.dir, ['etsi-qkd', 'sam', 'serena', 'get-key']);
    expect(made.code).toBe(0);
    expect(made.stdout[0]).toBe(header('Get Key', 'carol', p(5), 'sam', 'serena'));
    const key = (parseEtsi(made.stdout)[0].body as { keys: Array<{ key_ID: string; key: string }> }).keys[0];
    // 128 bits without --size, as in the guide ("+bXUKbPwVSdpS23JXGLSRA==").
    expect(Buffer.from(key.key, 'base64')).toHaveLength(16);
    const fetched = await manager(t.dir, ['etsi-qkd', 'sam', 'serena', 'get-key-with-key-ids', key.key_ID]);
    expect(fetched.code).toBe(0);
    expect(fetched.stdout[0]).toBe(header('Get Key with Key IDs', 'celia', p(6), 'sam', 'serena'));
    expect(parseEtsi(fetched.stdout)[0].body).toEqual({ keys: [key] });
    const again = await manager(t.dir, ['etsi-qkd', 'sam', 'serena', 'get-key-with-key-ids', key.key_ID]);
    expect(again.code).toBe(1);
    expect(again.stderr).toEqual(['manager: error: ETSI QKD API returned status 400']);
  });

  it('get-key-with-key-ids with a key ID that is not a UUID reports status 400', async () => {
    const run = await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key-with-key-ids', 'not-a-uuid']);
    expect(run.code).toBe(1);
    expect(run.stdout[0]).toBe(header('Get Key with Key IDs', 'curtis', p(9), 'sam', 'sunny'));
    const body = parseEtsi(run.stdout)[0].body as { message: string; details: unknown[] };
    expect(body.message).toMatch(/key_ID/);
    expect(Array.isArray(body.details)).toBe(true);
    expect(run.stderr).toEqual(['manager: error: ETSI QKD API returned status 400']);
  });

  it('get-status reports the link on the master SAE\'s client', async () => {
    const run = await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-status']);
    expect(run.code).toBe(0);
    expect(run.stdout[0]).toBe(header('Status', 'carol', p(5), 'sam', 'sunny'));
    expect(parseEtsi(run.stdout)[0].body).toMatchObject({ source_KME_ID: 'carol', target_KME_ID: 'curtis', master_SAE_ID: 'sam', slave_SAE_ID: 'sunny' });
  });

  it('an unknown SAE or a bad --size is a one-line error and no call', async () => {
    const unknown = await manager(t.dir, ['etsi-qkd', 'sam', 'bob', 'get-key']);
    expect(unknown).toEqual({ code: 1, stdout: [], stderr: ["manager: error: unknown encryptor (SAE) 'bob' (not in dske-config.yaml)"] });
    const size = await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key', '--size', '-8']);
    expect(size.code).toBe(2);
    expect(size.stdout).toEqual([]);
    expect(size.stderr).toHaveLength(1);
    expect(size.stderr[0]).toMatch(/^manager: error: .*--size/);
  });

  it('a large key drains the PSRD pools below the threshold and both sides gain a block', async () => {
    const blocks = async () => {
      const status = parseStatus((await manager(t.dir, ['--client', 'carol', '--hub', 'hank', 'status'])).stdout);
      const hub = status[0].status as { peer_clients: Array<{ client_name: string; peer_pool: { blocks: Array<{ uuid: string }> } }> };
      const client = status[1].status as { peer_hubs: Array<{ hub_name: string; local_pool: { blocks: Array<{ uuid: string }> } }> };
      return {
        // What carol allocates from with hank is what hank holds as carol's pool (the guide's matching UUIDs).
        client: client.peer_hubs.find((h) => h.hub_name === 'hank')?.local_pool.blocks.map((b) => b.uuid) ?? [],
        hub: hub.peer_clients.find((c) => c.client_name === 'carol')?.peer_pool.blocks.map((b) => b.uuid) ?? [],
      };
    };
    const before = await blocks();
    // 1600 bytes: more than start_request_psrd_threshold below the 2000-byte fill level.
    const run = await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key-pair', '--size', '12800']);
    expect(run.code).toBe(0);
    expect(run.stdout[run.stdout.length - 1]).toBe('Key values match');
    let after = await blocks();
    for (let i = 0; i < 50 && after.client.every((uuid) => before.client.includes(uuid)); i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await blocks();
    }
    const gained = after.client.filter((uuid) => !before.client.includes(uuid));
    expect(gained.length).toBeGreaterThan(0);
    for (const uuid of gained) expect(after.hub).toContain(uuid);
  });

  it('keys survive n-k hubs stopped one by one and fail with 503 at n-k+1', async () => {
    const stopHub = async (hub: string, port: number) => {
      const run = await manager(t.dir, ['--hub', hub, 'stop']);
      expect(run.stderr).toEqual([]);
      expect(withoutStillWaiting(run.stdout)).toEqual([`Stopping hub ${hub} on port ${port}`, `Waiting for hub ${hub} to be stopped`]);
      expect(run.code).toBe(0);
    };
    const pair = () => manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key-pair']);

    await stopHub('hugo', p(4));
    expect((await pair()).stdout.at(-1)).toBe('Key values match');
    await stopHub('holly', p(3));
    expect((await pair()).stdout.at(-1)).toBe('Key values match');
    await stopHub('hilary', p(2));
    const failed = await pair();
    expect(failed.code).toBe(1);
    expect(failed.stdout[0]).toBe(header('Get Key', 'carol', p(5), 'sam', 'sunny'));
    expect((parseEtsi(failed.stdout)[0].body as { message: string }).message).toBe('only 2 of 5 hubs accepted a key share; 3 needed');
    expect(failed.stdout).not.toContain('Key values match');
    expect(failed.stderr).toEqual(['manager: error: ETSI QKD API returned status 503']);

    // Stopping a stopped hub reports it and succeeds: it is stopped.
    const again = await manager(t.dir, ['--hub', 'hugo', 'stop']);
    expect(again.stderr).toEqual([`Could not stop hub hugo on port ${p(4)}: connection refused`]);
    expect(again.code).toBe(0);

    // Started again, the hubs know no client: the very next pair still works (the clients register again within it).
    const restarted = await manager(t.dir, ['--hub', 'hilary', '--hub', 'holly', '--hub', 'hugo', 'start']);
    expect(restarted.code, restarted.stderr.join('\n')).toBe(0);
    const next = await pair();
    expect(next.stderr).toEqual([]);
    expect(next.stdout.at(-1)).toBe('Key values match');
  });
});
