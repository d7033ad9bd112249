import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Allocation, SIGNATURE_HEADER, otpXor, verifyMessage } from '@dske/core';
import { TopologyHarness, httpJson } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';
import { GetShareBody, HubErrorBody, SignedPeer, hubView, sharesOn, signWith } from './signed-peer';

// A small topology: 3 hubs, 2 clients, k = 2. The tests themselves play a
// registered client against hub hank, signing with PSRD they fetched.
const HUBS = ['hank', 'helen', 'hilary'];
const CLIENTS = [
  { name: 'carol', encryptors: ['sam'] },
  { name: 'curtis', encryptors: ['sunny', 'susan'] },
];

function expectHubError(response: { status: number; body: HubErrorBody; headers: Headers }, status: number, code?: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.body).toMatchObject({ statusCode: status, error: expect.any(String), code: code ?? expect.any(String), message: expect.any(String) });
}

/** Flip one byte of a base64 value, keeping its length and alphabet. */
function tamperBase64(value: string, index = 0): string {
  const bytes = Buffer.from(value, 'base64');
  bytes[index] ^= 0x01;
  return bytes.toString('base64');
}

describe('in-band api security, as a client signing its own messages', () => {
  let topology: TopologyHarness;
  let hank: string;
  // ann@sender -> bob@receiver; eve@bystander is registered but serves neither.
  let sender: SignedPeer;
  let receiver: SignedPeer;
  let bystander: SignedPeer;

  beforeAll(async () => {
    // A long share timeout: no share may expire between two snapshots.
    topology = await TopologyHarness.start({ hubs: HUBS, clients: CLIENTS, minNrShares: 2, shareTimeoutSecs: 600 });
    hank = topology.hubUrl('hank');
    sender = await SignedPeer.register(hank, 'sender', ['ann'], 20_000);
    receiver = await SignedPeer.register(hank, 'receiver', ['bob'], 20_000);
    bystander = await SignedPeer.register(hank, 'bystander', ['eve']);
  });
  afterAll(async () => {
    await topology?.close();
  });

  /** Store one share (ann -> bob) the honest way; returns what was sent. */
  async function storeShare(overrides: Parameters<SignedPeer['shareRequest']>[0] = {}) {
    const { request, share } = sender.shareRequest({ slave_sae_id: 'bob', ...overrides });
    const body = JSON.stringify(request);
    const response = await sender.postShare(body, sender.sign('', body));
    expect(response.status, response.text).toBe(200);
    return { request, share, body };
  }

  /** Hub state that a refused message must leave alone. */
  async function snapshot() {
    return { shares: await sharesOn(hank), sender: await hubView(hank, 'sender'), receiver: await hubView(hank, 'receiver'), bystander: await hubView(hank, 'bystander') };
  }

  describe('POST key-share', () => {
    it('accepts a valid signed share, signs its answer, and lists the share', async () => {
      const before = await hubView(hank, 'sender');
      const { request, share } = sender.shareRequest({ slave_sae_id: 'bob', share_index: 2 });
      const body = JSON.stringify(request);
      const response = await sender.postShare(body, sender.sign('', body));
      expect(response.status, response.text).toBe(200);
      expect(response.body).toEqual({ hub_name: 'hank', user_key_id: request.user_key_id });
      // The hub's answer is signed with 32 bytes of the hub-allocated pool, over the exact body bytes.
      const signature = response.headers.get(SIGNATURE_HEADER);
      expect(signature).toMatch(/^[0-9a-f-]{36}:\d+:32%[A-Za-z0-9+/]{43}=$/);
      expect(() => verifyMessage(sender.peerPool, signature, '', response.text)).not.toThrow();

      expect((await sharesOn(hank)).filter((s) => s.user_key_id === request.user_key_id)).toEqual([
        { user_key_id: request.user_key_id, master_client_name: 'sender', master_sae_id: 'ann', slave_sae_id: 'bob', share_index: 2, size: 32 },
      ]);
      // 32 pad + 32 signing bytes taken from the client-allocated pool; 32 hub bytes signed the answer.
      expect(await hubView(hank, 'sender')).toEqual({ peer: before.peer + 64, local: before.local + 32 });

      // The right client gets the share back, re-encrypted under the hub's pool, once.
      const query = receiver.getShareQuery({ master_sae_id: 'ann', slave_sae_id: 'bob', key_id: request.user_key_id });
      const fetched = await receiver.getShare(query, receiver.sign(query, ''));
      expect(fetched.status, fetched.text).toBe(200);
      expect(() => verifyMessage(receiver.peerPool, fetched.headers.get(SIGNATURE_HEADER), '', fetched.text)).not.toThrow();
      const got = fetched.body as GetShareBody;
      expect(got.share_index).toBe(2);
      const encrypted = Buffer.from(got.encrypted_share_value, 'base64');
      const pad = receiver.peerPool.take(got.encryption_key_allocation.fragments, encrypted.length);
      expect(Buffer.from(otpXor(encrypted, pad))).toEqual(Buffer.from(share));
      // Kept until the client acknowledges the key (a lost answer loses nothing), then gone.
      expect((await sharesOn(hank)).some((s) => s.user_key_id === request.user_key_id)).toBe(true);
      const acked = await receiver.ack([request.user_key_id]);
      expect(acked.status, acked.text).toBe(200);
      expect(acked.body).toEqual({ removed: 1 });
      expect(() => verifyMessage(receiver.peerPool, acked.headers.get(SIGNATURE_HEADER), '', acked.text)).not.toThrow();
      expect((await sharesOn(hank)).some((s) => s.user_key_id === request.user_key_id)).toBe(false);
    });

    it('refuses a tampered share value with 403 and spends nothing', async () => {
      const before = await snapshot();
      const { request } = sender.shareRequest({ slave_sae_id: 'bob' });
      const signature = sender.sign('', JSON.stringify(request));
      const tampered = JSON.stringify({ ...request, encrypted_share_value: tamperBase64(request.encrypted_share_value, 5) });
      expectHubError(await sender.postShare(tampered, signature), 403, 'signature.invalid');
      expect(await snapshot()).toEqual(before);
    });

    it('refuses a header naming other unused bytes with 403; those bytes stay usable', async () => {
      const before = await snapshot();
      const { request } = sender.shareRequest({ slave_sae_id: 'bob' });
      const body = JSON.stringify(request);
      const real = sender.signingKey();
      const other: Allocation = sender.signingKey();
      const mac = signWith(real.fragments, real.bytes, '', body).split('%')[1];
      const forged = `${other.toText()}%${mac}`;
      expectHubError(await sender.postShare(body, forged), 403, 'signature.invalid');
      expect(await snapshot()).toEqual(before);
      // The hub did not burn the named bytes: a correct MAC under them is accepted now.
      const ok = await sender.postShare(body, signWith(other.fragments, other.bytes, '', body));
      expect(ok.status, ok.text).toBe(200);
    });

    it('refuses a tampered MAC with 403 and spends nothing; the same key with the right MAC then works', async () => {
      const before = await snapshot();
      const { request } = sender.shareRequest({ slave_sae_id: 'bob' });
      const body = JSON.stringify(request);
      const key = sender.signingKey();
      const good = signWith(key.fragments, key.bytes, '', body);
      const [allocation, mac] = good.split('%');
      expectHubError(await sender.postShare(body, `${allocation}%${tamperBase64(mac, 31)}`), 403, 'signature.invalid');
      expect(await snapshot()).toEqual(before);
      expect((await sender.postShare(body, good)).status).toBe(200);
    });

    it('refuses a replay (same bytes, same header) with 403 and stores nothing new', async () => {
      const { request } = sender.shareRequest({ slave_sae_id: 'bob' });
      const body = JSON.stringify(request);
      const signature = sender.sign('', body);
      expect((await sender.postShare(body, signature)).status).toBe(200);
      const before = await snapshot();
      const replay = await sender.postShare(body, signature);
      // The same answer as any key that does not verify: a caller learns nothing about which bytes are used.
      expectHubError(replay, 403, 'signature.invalid');
      expect(replay.body.message).toBe('DSKE-Signature does not verify');
      expect(await snapshot()).toEqual(before);
    });

    it('answers 400 for a missing or malformed header, and 403 for signing keys that are not 32 bytes or not there', async () => {
      const before = await snapshot();
      const { request } = sender.shareRequest({ slave_sae_id: 'bob' });
      const body = JSON.stringify(request);
      const good = sender.sign('', body);
      const [allocation, mac] = good.split('%');
      const blockUuid = allocation.split(':')[0];
      const blockSize = sender.localPool.status(false).blocks.find((b) => b.uuid === blockUuid)!.size;

      expectHubError(await sender.postShare(body, null), 400, 'signature.missing');
      const malformed = [
        'garbage',
        allocation,
        `${allocation}%`,
        `${allocation}%${mac}%${mac}`,
        `%${mac}`,
        `${allocation}%not*base64`,
        `${allocation}%${Buffer.alloc(16).toString('base64')}`,
        `${blockUuid}:x:32%${mac}`,
        `${blockUuid}:-1:32%${mac}`,
        `${blockUuid}:0%${mac}`,
      ];
      for (const header of malformed) {
        const response = await sender.postShare(body, header);
        expect(response.status, header).toBe(400);
        expectHubError(response, 400, 'signature.malformed');
      }
      // Well-formed, but the named key is not there to use: bytes beyond the block, overlapping, a block the hub
      // never gave this client. All answer exactly like a wrong MAC, so nobody learns what the hub's pool holds.
      const unusable = [`${blockUuid}:${blockSize - 1}:32%${mac}`, `${blockUuid}:0:16,${blockUuid}:8:16%${mac}`, `${randomUUID()}:0:32%${mac}`, `${blockUuid}:0:32%${mac}`];
      const answers = await Promise.all(unusable.map((header) => sender.postShare(body, header)));
      for (const [i, answer] of answers.entries()) {
        expect(answer.status, unusable[i]).toBe(403);
        expect(answer.body).toEqual({ statusCode: 403, error: 'Forbidden', code: 'signature.invalid', message: 'DSKE-Signature does not verify' });
      }
      // The reference's hole: a zero-length key makes an HMAC anyone can compute. Refused like any key that does not verify.
      const zero = sender.postShare(body, signWith([{ block_uuid: blockUuid, start: 1500, size: 0 }], new Uint8Array(0), '', body));
      expectHubError(await zero, 403, 'signature.invalid');
      // A correctly computed MAC under a 16-byte key is still refused: keys are exactly 32 bytes.
      const short = sender.signingKey(16);
      expectHubError(await sender.postShare(body, signWith(short.fragments, short.bytes, '', body)), 403, 'signature.invalid');
      expect(await snapshot()).toEqual(before);
      // The honest header still works: none of the above spent its bytes.
      expect((await sender.postShare(body, good)).status).toBe(200);
    });

    it('answers 400 when the share pad is not exactly the share length, and stores nothing', async () => {
      for (const padLength of [31, 33, 1]) {
        const before = await snapshot();
        const { request } = sender.shareRequest({ slave_sae_id: 'bob' }, 32, padLength);
        const body = JSON.stringify(request);
        const response = await sender.postShare(body, sender.sign('', body));
        expectHubError(response, 400, 'allocation.size-mismatch');
        const after = await snapshot();
        expect(after.shares).toEqual(before.shares);
        // The message was authentic, so its 32 signing bytes are spent; the pad bytes are not. The refusal is
        // signed (32 bytes of the hub's own pool), so the client can tell it from one an outsider made up.
        expect(after.sender).toEqual({ peer: before.sender.peer + 32, local: before.sender.local + 32 });
        expect(response.headers.get(SIGNATURE_HEADER)).toMatch(/%/);
      }
    });

    it('never overwrites: the same key ID posted twice is a 400 and the first share stays', async () => {
      const first = await storeShare({ share_index: 1 });
      const before = await snapshot();
      const { request } = sender.shareRequest({ slave_sae_id: 'bob', user_key_id: first.request.user_key_id, share_index: 0 });
      const body = JSON.stringify(request);
      expectHubError(await sender.postShare(body, sender.sign('', body)), 400, 'share.exists');
      const after = await snapshot();
      expect(after.shares).toEqual(before.shares);
      expect(after.shares.find((s) => s.user_key_id === first.request.user_key_id)?.share_index).toBe(1);

      const query = receiver.getShareQuery({ master_sae_id: 'ann', slave_sae_id: 'bob', key_id: first.request.user_key_id });
      const fetched = await receiver.getShare(query, receiver.sign(query, ''));
      expect(fetched.status).toBe(200);
      const encrypted = Buffer.from(fetched.body.encrypted_share_value, 'base64');
      const pad = receiver.peerPool.take(fetched.body.encryption_key_allocation.fragments, encrypted.length);
      expect(Buffer.from(otpXor(encrypted, pad))).toEqual(Buffer.from(first.share));
    });

    it('answers 400 for a master_sae_id the client does not serve', async () => {
      const before = await snapshot();
      for (const sae of ['bob', 'sam', 'eve']) {
        const { request } = sender.shareRequest({ slave_sae_id: 'bob', master_sae_id: sae });
        const body = JSON.stringify(request);
        expectHubError(await sender.postShare(body, sender.sign('', body)), 400, 'sae.not-served');
      }
      expect((await snapshot()).shares).toEqual(before.shares);
    });

    it('answers 400 (not 500) for a signed body whose allocation is missing or an array, single or batch', async () => {
      const before = await snapshot();
      for (const allocation of [undefined, [], [{ fragments: [] }], null]) {
        const { request } = sender.shareRequest({ slave_sae_id: 'bob' });
        const single: Record<string, unknown> = { ...request, encryption_key_allocation: allocation };
        if (allocation === undefined) delete single.encryption_key_allocation;
        const body = JSON.stringify(single);
        expectHubError(await sender.postShare(body, sender.sign('', body)), 400, 'validation');
        const { master_client_name, master_sae_id, slave_sae_id, ...share } = single;
        const batchBody = JSON.stringify({ master_client_name, master_sae_id, slave_sae_id, shares: [share] });
        const response = await httpJson<HubErrorBody>('POST', `${hank}/dske/api/v1/key-shares`, { rawBody: batchBody, headers: { [SIGNATURE_HEADER]: sender.sign('', batchBody) } });
        expectHubError(response, 400, 'validation');
      }
      expect((await snapshot()).shares).toEqual(before.shares);
    });

    it('answers 400 for a client the hub does not know, before looking at the signature', async () => {
      const before = await snapshot();
      const { request } = sender.shareRequest({ slave_sae_id: 'bob', master_client_name: 'stranger' });
      const body = JSON.stringify(request);
      expectHubError(await sender.postShare(body, sender.sign('', body)), 400, 'client.unknown');
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('GET key-share', () => {
    it('refuses a tampered query with 403 and spends nothing on either side', async () => {
      const { request } = await storeShare();
      const before = await snapshot();
      const query = receiver.getShareQuery({ master_sae_id: 'ann', slave_sae_id: 'bob', key_id: request.user_key_id });
      const signature = receiver.sign(query, '');
      const variants = [
        query.replace('master_sae_id=ann', 'master_sae_id=amy'),
        `${query}&`,
        query.replace(request.user_key_id, request.user_key_id.toUpperCase()),
        new URLSearchParams([...new URLSearchParams(query).entries()].reverse()).toString(),
      ];
      for (const tampered of variants) expectHubError(await receiver.getShare(tampered, signature), 403, 'signature.invalid');
      // A MAC over other bytes under a fresh key: refused, and the key is not burnt.
      const key = receiver.signingKey();
      expectHubError(await receiver.getShare(query, signWith(key.fragments, key.bytes, '', `${query}x`)), 403, 'signature.invalid');
      expect(await snapshot()).toEqual(before);
      expect((await receiver.getShare(query, signWith(key.fragments, key.bytes, query, ''))).status).toBe(200);
      // The first signature was never spent either: it verifies (the share is handed out again until acknowledged).
      expect((await receiver.getShare(query, signature)).status).toBe(200);
    });

    it('answers 401 to a registered client that does not serve the slave SAE; the right client still gets the share', async () => {
      const { request, share } = await storeShare();
      const before = await snapshot();
      // The bystander names bob as its slave SAE: it does not serve bob.
      const asBob = bystander.getShareQuery({ master_sae_id: 'ann', slave_sae_id: 'bob', key_id: request.user_key_id });
      expectHubError(await bystander.getShare(asBob, bystander.sign(asBob, '')), 401, 'sae.not-served');
      // The bystander names its own SAE: the share was not made for that pair.
      const asEve = bystander.getShareQuery({ master_sae_id: 'ann', slave_sae_id: 'eve', key_id: request.user_key_id });
      expectHubError(await bystander.getShare(asEve, bystander.sign(asEve, '')), 401, 'share.wrong-pair');
      const after = await snapshot();
      expect(after.shares).toEqual(before.shares);
      // The asker's own signing bytes, and the signatures of the hub's two refusals (32 each).
      expect(after.bystander).toEqual({ local: before.bystander.local + 64, peer: before.bystander.peer + 64 });
      expect(after.receiver).toEqual(before.receiver);

      const query = receiver.getShareQuery({ master_sae_id: 'ann', slave_sae_id: 'bob', key_id: request.user_key_id });
      const fetched = await receiver.getShare(query, receiver.sign(query, ''));
      expect(fetched.status, fetched.text).toBe(200);
      const encrypted = Buffer.from(fetched.body.encrypted_share_value, 'base64');
      expect(Buffer.from(otpXor(encrypted, receiver.peerPool.take(fetched.body.encryption_key_allocation.fragments, encrypted.length)))).toEqual(Buffer.from(share));
    });

    it('answers 401 for the wrong master/slave pair, even from the slave\'s client', async () => {
      const { request } = await storeShare();
      const before = await snapshot();
      const wrongMaster = receiver.getShareQuery({ master_sae_id: 'sam', slave_sae_id: 'bob', key_id: request.user_key_id });
      expectHubError(await receiver.getShare(wrongMaster, receiver.sign(wrongMaster, '')), 401, 'share.wrong-pair');
      expect((await snapshot()).shares).toEqual(before.shares);
      // Only the signature of the (signed) refusal: no pad for a share that was not handed out.
      expect((await hubView(hank, 'receiver')).local).toBe(before.receiver.local + 32);
      const query = receiver.getShareQuery({ master_sae_id: 'ann', slave_sae_id: 'bob', key_id: request.user_key_id });
      expect((await receiver.getShare(query, receiver.sign(query, ''))).status).toBe(200);
    });

    it('answers 400 with a JSON error for an unknown or acknowledged key ID', async () => {
      const unknown = receiver.getShareQuery({ master_sae_id: 'ann', slave_sae_id: 'bob', key_id: randomUUID() });
      expectHubError(await receiver.getShare(unknown, receiver.sign(unknown, '')), 400, 'share.not-found');
      const { request } = await storeShare();
      const query = receiver.getShareQuery({ master_sae_id: 'ann', slave_sae_id: 'bob', key_id: request.user_key_id });
      expect((await receiver.getShare(query, receiver.sign(query, ''))).status).toBe(200);
      // An answer lost on the way: the same client asks again and gets the share again, under a fresh pad.
      const again = await receiver.getShare(query, receiver.sign(query, ''));
      expect(again.status).toBe(200);
      expect((await receiver.ack([request.user_key_id])).body).toEqual({ removed: 1 });
      expectHubError(await receiver.getShare(query, receiver.sign(query, '')), 400, 'share.not-found');
    });

    it('an acknowledgement deletes only shares for an SAE the acknowledging client serves', async () => {
      const { request } = await storeShare();
      // The bystander (a registered client that does not serve bob) names the key: nothing goes.
      expect((await bystander.ack([request.user_key_id])).body).toEqual({ removed: 0 });
      expect((await sharesOn(hank)).some((s) => s.user_key_id === request.user_key_id)).toBe(true);
      expect((await receiver.ack([request.user_key_id, randomUUID()])).body).toEqual({ removed: 1 });
    });

    it('answers 400 for a missing header and 403 for a replayed GET', async () => {
      const { request } = await storeShare();
      const query = receiver.getShareQuery({ master_sae_id: 'ann', slave_sae_id: 'bob', key_id: request.user_key_id });
      expectHubError(await receiver.getShare(query, null), 400, 'signature.missing');
      const signature = receiver.sign(query, '');
      expect((await receiver.getShare(query, signature)).status).toBe(200);
      expectHubError(await receiver.getShare(query, signature), 403, 'signature.invalid');
    });
  });

  describe('batch endpoints (key-shares): all or nothing', () => {
    /** A batch body for ann -> bob with fresh pads, one entry per key. */
    function batch(count: number, edit: (shares: Array<Record<string, unknown>>) => void = () => undefined) {
      const items = Array.from({ length: count }, (_, i) => sender.shareRequest({ slave_sae_id: 'bob', share_index: i }));
      const shares = items.map(({ request }) => ({
        user_key_id: request.user_key_id,
        share_index: request.share_index,
        encryption_key_allocation: request.encryption_key_allocation,
        encrypted_share_value: request.encrypted_share_value,
      })) as Array<Record<string, unknown>>;
      edit(shares);
      const body = JSON.stringify({ master_client_name: 'sender', master_sae_id: 'ann', slave_sae_id: 'bob', shares });
      return { body, items };
    }
    const postBatch = (body: string, signature: string) =>
      httpJson<HubErrorBody & { hub_name: string; user_key_ids: string[] }>('POST', `${hank}/dske/api/v1/key-shares`, {
        rawBody: body,
        headers: { [SIGNATURE_HEADER]: signature },
      });
    const getBatch = (peer: SignedPeer, ids: string[]) => {
      const query = new URLSearchParams({ client_name: peer.name, master_sae_id: 'ann', slave_sae_id: 'bob', key_ids: ids.join(',') }).toString();
      return httpJson<HubErrorBody & { shares: Array<GetShareBody & { user_key_id: string }> }>('GET', `${hank}/dske/api/v1/key-shares?${query}`, {
        headers: { [SIGNATURE_HEADER]: peer.sign(query, '') },
      });
    };

    it('stores and delivers a signed batch; each share decrypts', async () => {
      const { body, items } = batch(3);
      const response = await postBatch(body, sender.sign('', body));
      expect(response.status, response.text).toBe(200);
      expect(() => verifyMessage(sender.peerPool, response.headers.get(SIGNATURE_HEADER), '', response.text)).not.toThrow();
      const ids = items.map((i) => i.request.user_key_id);
      expect(response.body).toEqual({ hub_name: 'hank', user_key_ids: ids });
      const fetched = await getBatch(receiver, ids);
      expect(fetched.status, fetched.text).toBe(200);
      expect(() => verifyMessage(receiver.peerPool, fetched.headers.get(SIGNATURE_HEADER), '', fetched.text)).not.toThrow();
      expect(fetched.body.shares.map((s) => s.user_key_id)).toEqual(ids);
      fetched.body.shares.forEach((s, i) => {
        const encrypted = Buffer.from(s.encrypted_share_value, 'base64');
        expect(Buffer.from(otpXor(encrypted, receiver.peerPool.take(s.encryption_key_allocation.fragments, encrypted.length)))).toEqual(Buffer.from(items[i].share));
      });
    });

    it('refuses a tampered batch (403), overlapping pads, a repeated or stored key ID (400); nothing is stored', async () => {
      const stored = await storeShare();
      const cases: Array<{ name: string; status: number; code: string; make: () => { body: string; signature: string } }> = [
        {
          name: 'tampered', status: 403, code: 'signature.invalid', make: () => {
            const { body } = batch(2);
            const signature = sender.sign('', body);
            return { body: body.replace('"share_index":1', '"share_index":2'), signature };
          },
        },
        {
          name: 'overlapping pads', status: 400, code: 'psrd.already-used', make: () => {
            const { body } = batch(2, (shares) => { shares[1].encryption_key_allocation = shares[0].encryption_key_allocation; });
            return { body, signature: sender.sign('', body) };
          },
        },
        {
          name: 'repeated key ID', status: 400, code: 'share.duplicate', make: () => {
            const { body } = batch(2, (shares) => { shares[1].user_key_id = shares[0].user_key_id; });
            return { body, signature: sender.sign('', body) };
          },
        },
        {
          name: 'stored key ID', status: 400, code: 'share.exists', make: () => {
            const { body } = batch(2, (shares) => { shares[1].user_key_id = stored.request.user_key_id; });
            return { body, signature: sender.sign('', body) };
          },
        },
      ];
      for (const c of cases) {
        const before = await snapshot();
        const { body, signature } = c.make();
        const response = await postBatch(body, signature);
        expect(response.status, `${c.name}: ${response.text}`).toBe(c.status);
        expectHubError(response, c.status, c.code);
        const after = await snapshot();
        expect(after.shares, c.name).toEqual(before.shares);
        // Only an authentic message spends its 32 signing bytes; no pad byte is spent.
        expect(after.sender.peer, c.name).toBe(before.sender.peer + (c.status === 403 ? 0 : 32));
      }
    });

    it('delivers none of a batch when one key ID is unknown or for another pair', async () => {
      const first = await storeShare();
      const other = await storeShare({ slave_sae_id: 'eve' });
      for (const [ids, status, code] of [
        [[first.request.user_key_id, randomUUID()], 400, 'share.not-found'],
        [[first.request.user_key_id, other.request.user_key_id], 401, 'share.wrong-pair'],
        [[first.request.user_key_id, first.request.user_key_id], 400, 'share.duplicate'],
      ] as Array<[string[], number, string]>) {
        const before = await snapshot();
        expectHubError(await getBatch(receiver, ids), status, code);
        const after = await snapshot();
        expect(after.shares).toEqual(before.shares);
        // The refusal's signature only: no pad of any share was spent.
        expect(after.receiver.local).toBe(before.receiver.local + 32);
      }
      expect((await getBatch(receiver, [first.request.user_key_id])).status).toBe(200);
    });
  });

  describe('ETSI dec_keys through the real clients', () => {
    let etsi: EtsiCaller;
    beforeAll(() => {
      etsi = new EtsiCaller(topology);
    });

    it('an SAE of the right client that is not the key\'s slave is refused; the slave still gets the key', async () => {
      const made = await etsi.getKey('carol', 'sam', 'sunny');
      expect(made.status, made.text).toBe(200);
      const { key_ID, key } = made.body.keys[0];

      // susan is on curtis, like sunny. Every hub answers 401 share.wrong-pair and keeps its share.
      const asSusan = await etsi.getKeyWithIds('curtis', 'sam', 'susan', key_ID);
      expect(asSusan.status).toBe(401);
      expect(asSusan.body.message).toBe('one or more keys specified were not made for this SAE pair');
      expect(asSusan.body.details).toHaveLength(HUBS.length);
      for (const d of asSusan.body.details) expect(String(d.reason)).toMatch(/answered 401 share\.wrong-pair/);

      // sunny naming another (known) master is refused the same way; an unknown master is a 400.
      const wrongMaster = await etsi.getKeyWithIds('curtis', 'ann', 'sunny', key_ID);
      expect(wrongMaster.status).toBe(401);
      const unknownMaster = await etsi.getKeyWithIds('curtis', 'serena', 'sunny', key_ID);
      expect(unknownMaster.status).toBe(400);
      expect(unknownMaster.body.message).toBe('master_SAE_ID serena is not known to any hub');

      const asSunny = await etsi.getKeyWithIds('curtis', 'sam', 'sunny', key_ID);
      expect(asSunny.status, asSunny.text).toBe(200);
      expect(asSunny.body).toEqual({ keys: [{ key_ID, key }] });
    });

    it('no Authorization header: 401', async () => {
      const made = await etsi.getKey('carol', 'sam', 'sunny');
      const id = made.body.keys[0].key_ID;
      const url = `${topology.clientUrl('curtis')}/etsi/api/v1/keys/sam/dec_keys?key_ID=${id}`;
      // curtis serves two SAEs, so no header names nobody; a bare SAE ID is the reference's lab form and counts (etsi-conformance.spec).
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer' }, { authorization: 'Basic c3Vubnk6' }, { authorization: 'sam' }]) {
        const response = await httpJson<{ message: string; details: unknown[] }>('GET', url, { headers });
        expect(response.status, JSON.stringify(headers)).toBe(401);
        expect(response.body).toEqual({ message: expect.any(String), details: expect.any(Array) });
      }
      const posted = await httpJson<{ message: string }>('POST', `${topology.clientUrl('curtis')}/etsi/api/v1/keys/sam/dec_keys`, { body: { key_IDs: [{ key_ID: id }] } });
      expect(posted.status).toBe(401);
      expect(posted.body.message).toBe('no SAE identity: send Authorization: Bearer <SAE ID>');
      expect((await etsi.getKeyWithIds('curtis', 'sam', 'sunny', id)).status).toBe(200);
    });

    it('an SAE not attached to the client: 401', async () => {
      const made = await etsi.getKey('carol', 'sam', 'sunny');
      const id = made.body.keys[0].key_ID;
      // sam is carol's SAE, not curtis's; a name nobody serves is refused the same way.
      for (const caller of ['sam', 'mallory']) {
        const response = await httpJson<{ message: string; details: unknown[] }>('GET', `${topology.clientUrl('curtis')}/etsi/api/v1/keys/sam/dec_keys?key_ID=${id}`, {
          headers: { authorization: `Bearer ${caller}` },
        });
        expect(response.status).toBe(401);
        expect(response.body.message).toBe(`SAE ${caller} is not attached to KME curtis`);
      }
      // Asking for the key at the master's own client, as the slave, is also refused: sunny is not carol's.
      expect((await etsi.getKeyWithIds('carol', 'sam', 'sunny', id)).status).toBe(401);
      expect((await etsi.getKeyWithIds('curtis', 'sam', 'sunny', id)).status).toBe(200);
    });
  });
});
