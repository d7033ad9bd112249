import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabPki } from '@dske/lab-pki';
import { httpJson, httpsAgent, httpsJson, JsonResponse, TopologyHarness } from '@dske/test-support';
import { type LabPkiDir, pkiFiles, writeLabPki } from './lab-tls';

/**
 * ETSI GS QKD 014 conformance (issue #5), driven from outside with an
 * independent HTTP client: Node's fetch in lab mode (plain HTTP, bearer SAE
 * IDs) and node:https with client certificates in mutual-TLS mode. The same
 * rules run in both modes; each mode adds its own authentication checks.
 */

const HUBS = ['hank', 'helen', 'hilary'];
const CLIENTS = [
  { name: 'carol', encryptors: ['sam'] },
  { name: 'celia', encryptors: ['serena'] },
  { name: 'curtis', encryptors: ['sunny', 'susan'] },
];
const HOME: Record<string, string> = Object.fromEntries(CLIENTS.flatMap((c) => c.encryptors.map((sae) => [sae, c.name])));

// What the client reports and enforces (apps/client/src/etsi/etsi-limits.ts, default thresholds).
const LIMITS = { keySize: 128, minKeySize: 128, maxKeySize: 65536, maxKeyPerRequest: 32, maxSaeIdCount: 0 };
const STOP_REQUEST_PSRD_THRESHOLD = 2000;
const GET_PSRD_BLOCK_SIZE = 1000;
const SIGNATURE_BYTES = 32;

const NOT_FOUND = 'one or more keys specified are not found on KME';
const WRONG_PAIR = 'one or more keys specified were not made for this SAE pair';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UNKNOWN_UUID = '4b700076-9691-4935-9e9b-707c1425fd29';

interface Key {
  key_ID: string;
  key: string;
}
interface EtsiBody {
  keys: Key[];
  message: string;
  details: Array<Record<string, unknown>>;
  [field: string]: unknown;
}
type Response = JsonResponse<EtsiBody>;
interface CallOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}
/** One ETSI call as `sae` (undefined: no SAE identity at all). */
type Sender = (method: 'GET' | 'POST', url: string, sae: string | undefined, options: CallOptions) => Promise<Response>;

/** The ETSI 014 calls of an encryptor; the KME is the SAE's own client unless `at` says otherwise. */
class Etsi {
  /** `atRoot`: the standard's own paths, https://{KME}/api/v1/keys/..., instead of /client/NAME/etsi/api/v1/keys/... */
  constructor(
    private readonly topology: TopologyHarness,
    readonly send: Sender,
    private readonly atRoot = false,
  ) {}

  url(client: string, path: string): string {
    const base = this.atRoot ? new URL(this.topology.clientUrl(client)).origin : `${this.topology.clientUrl(client)}/etsi`;
    return `${base}/api/v1/keys/${path}`;
  }

  call(method: 'GET' | 'POST', client: string, path: string, sae: string | undefined, options: CallOptions = {}): Promise<Response> {
    return this.send(method, this.url(client, path), sae, options);
  }

  status(master: string, slave: string, at = HOME[master]): Promise<Response> {
    return this.call('GET', at, `${slave}/status`, master);
  }

  encKeysGet(master: string, slave: string, query = '', at = HOME[master]): Promise<Response> {
    return this.call('GET', at, `${slave}/enc_keys${query ? `?${query}` : ''}`, master);
  }

  encKeysPost(master: string, slave: string, body: unknown = {}, at = HOME[master]): Promise<Response> {
    return this.call('POST', at, `${slave}/enc_keys`, master, { body });
  }

  decKeysGet(master: string, slave: string, keyId: string, at = HOME[slave]): Promise<Response> {
    return this.call('GET', at, `${master}/dec_keys?key_ID=${encodeURIComponent(keyId)}`, slave);
  }

  decKeysPost(master: string, slave: string, keyIds: string[], at = HOME[slave]): Promise<Response> {
    return this.call('POST', at, `${master}/dec_keys`, slave, { body: { key_IDs: keyIds.map((key_ID) => ({ key_ID })) } });
  }
}

/** An ETSI Error: the status, exactly {message: string, details: [objects]}, and the message. */
function expectEtsiError(response: Response, status: number, message: string | RegExp): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(response.body).sort()).toEqual(['details', 'message']);
  expect(typeof response.body.message).toBe('string');
  if (typeof message === 'string') expect(response.body.message).toBe(message);
  else expect(response.body.message).toMatch(message);
  expect(Array.isArray(response.body.details)).toBe(true);
  for (const detail of response.body.details) {
    expect(detail !== null && typeof detail === 'object' && !Array.isArray(detail), JSON.stringify(detail)).toBe(true);
  }
}

/** A Key container of `count` keys of `bits` bits with distinct UUIDs, exactly {keys: [{key_ID, key}]}. */
function expectKeys(response: Response, count: number, bits: number): Key[] {
  expect(response.status, response.text).toBe(200);
  expect(Object.keys(response.body)).toEqual(['keys']);
  expect(response.body.keys).toHaveLength(count);
  for (const key of response.body.keys) {
    expect(Object.keys(key).sort()).toEqual(['key', 'key_ID']);
    expect(key.key_ID).toMatch(UUID_V4);
    expect(key.key).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
    expect(Buffer.from(key.key, 'base64')).toHaveLength(bits / 8);
  }
  expect(new Set(response.body.keys.map((k) => k.key_ID)).size).toBe(count);
  return response.body.keys;
}

const ids = (keys: Key[]) => keys.map((k) => k.key_ID);

/** Every rule of issue #5 that holds whatever the transport. */
function conformanceRules(etsi: () => Etsi): void {
  describe('validation (400 with the Error body)', () => {
    const badNumbersAndSizes: Array<[string, Record<string, number>, string]> = [
      ['size not a multiple of 8', { size: 12 }, 'size shall be a multiple of 8'],
      ['size not a multiple of 8 (above max too)', { size: 65540 }, 'size shall be a multiple of 8'],
      ['size below min_key_size', { size: 24 }, 'requested key size is below min_key_size (128)'],
      ['size 0', { size: 0 }, 'requested key size is below min_key_size (128)'],
      ['size above max_key_size', { size: 65544 }, 'requested key size exceeds max_key_size (65536)'],
      ['number below 1', { number: 0 }, 'number shall be at least 1'],
      ['number above max_key_per_request', { number: 33 }, 'requested number of keys exceeds max_key_per_request (32)'],
    ];
    for (const [rule, values, message] of badNumbersAndSizes) {
      it(`${rule}: GET and POST enc_keys give the same 400`, async () => {
        const query = new URLSearchParams(Object.entries(values).map(([k, v]): [string, string] => [k, String(v)])).toString();
        const viaGet = await etsi().encKeysGet('sam', 'sunny', query);
        const viaPost = await etsi().encKeysPost('sam', 'sunny', values);
        expectEtsiError(viaGet, 400, message);
        expectEtsiError(viaPost, 400, message);
        expect(viaPost.body).toEqual(viaGet.body);
      });
    }

    const badQueries: Array<[string, string]> = [
      ['number=-1', 'number shall be a non-negative integer'],
      ['number=1.5', 'number shall be a non-negative integer'],
      ['number=abc', 'number shall be a non-negative integer'],
      ['number=', 'number shall be a non-negative integer'],
      ['number=1&number=2', 'number shall be a non-negative integer'],
      ['size=-8', 'size shall be a non-negative integer'],
      ['size=256.0', 'size shall be a non-negative integer'],
      ['size=1e3', 'size shall be a non-negative integer'],
      ['size=0x100', 'size shall be a non-negative integer'],
      ['size=99999999999', 'size shall be a non-negative integer'],
      ['foo=1', 'property foo should not exist'],
    ];
    for (const [query, message] of badQueries) {
      it(`GET enc_keys?${query} -> 400 "${message}"`, async () => {
        expectEtsiError(await etsi().encKeysGet('sam', 'sunny', query), 400, message);
      });
    }

    const badBodies: Array<[string, unknown, string]> = [
      ['non-integer number', { number: 1.5 }, 'number shall be an integer'],
      ['number as a string', { number: '5' }, 'number shall be an integer'],
      ['number null', { number: null }, 'number shall be an integer'],
      ['negative number', { number: -1 }, 'number shall be at least 1'],
      ['non-integer size', { size: 8.5 }, 'size shall be an integer'],
      ['size as a string', { size: '256' }, 'size shall be an integer'],
      ['size null', { size: null }, 'size shall be an integer'],
      ['negative size', { size: -8 }, 'requested key size is below min_key_size (128)'],
      ['unknown field', { number: 1, foo: 1 }, 'property foo should not exist'],
      ['extension_mandatory non-empty', { extension_mandatory: [{ 'vendor.feature': true }] }, 'not all extension_mandatory parameters are supported'],
      ['extension_mandatory not an array', { extension_mandatory: {} }, 'extension_mandatory must be an array'],
      ['additional_slave_SAE_IDs non-empty (max_SAE_ID_count 0)', { additional_slave_SAE_IDs: ['serena'] }, 'additional_slave_SAE_IDs are not supported (max_SAE_ID_count is 0)'],
    ];
    for (const [rule, body, message] of badBodies) {
      it(`POST enc_keys, ${rule} -> 400 "${message}"`, async () => {
        expectEtsiError(await etsi().encKeysPost('sam', 'sunny', body), 400, message);
      });
    }

    // JSON.parse words the syntax errors (V8); the prefix is stable, newer Node versions append a line/column.
    const malformed: Array<[string, string, string | RegExp, string | RegExp]> = [
      ['truncated JSON', '{"number": 1,', /^Expected double-quoted property name in JSON at position 13/, /^Expected double-quoted property name in JSON at position 13/],
      ['broken JSON', '{bad', /^Expected property name or '}' in JSON at position 1/, /^Expected property name or '}' in JSON at position 1/],
      ['a bare number', '123', /^Unexpected token '1', "123" is not valid JSON$/, /^Unexpected token '1', "123" is not valid JSON$/],
      ['null', 'null', /^Unexpected token 'n', "null" is not valid JSON$/, /^Unexpected token 'n', "null" is not valid JSON$/],
      ['an array, not an object', '[]', 'Validation failed (object is expected)', 'key_IDs must be an array'],
    ];
    for (const [what, rawBody, encMessage, decMessage] of malformed) {
      it(`malformed JSON (${what}) in POST enc_keys and POST dec_keys -> 400`, async () => {
        expectEtsiError(await etsi().call('POST', 'carol', 'sunny/enc_keys', 'sam', { rawBody }), 400, encMessage);
        expectEtsiError(await etsi().call('POST', 'curtis', 'sam/dec_keys', 'sunny', { rawBody }), 400, decMessage);
      });
    }

    it('POST dec_keys: unknown fields, at the top and in a key_ID entry', async () => {
      const top = await etsi().call('POST', 'curtis', 'sam/dec_keys', 'sunny', { body: { key_IDs: [{ key_ID: UNKNOWN_UUID }], foo: 1 } });
      expectEtsiError(top, 400, 'property foo should not exist');
      const nested = await etsi().call('POST', 'curtis', 'sam/dec_keys', 'sunny', { body: { key_IDs: [{ key_ID: UNKNOWN_UUID, x: 1 }] } });
      expectEtsiError(nested, 400, 'key_IDs.0.property x should not exist');
    });

    it('POST dec_keys: key_IDs missing, empty, above max_key_per_request, repeated', async () => {
      expectEtsiError(await etsi().call('POST', 'curtis', 'sam/dec_keys', 'sunny', { body: {} }), 400, 'key_IDs must be an array');
      expectEtsiError(await etsi().decKeysPost('sam', 'sunny', []), 400, 'key_IDs must contain at least 1 elements');
      const tooMany = Array.from({ length: LIMITS.maxKeyPerRequest + 1 }, () => randomUUID());
      expectEtsiError(await etsi().decKeysPost('sam', 'sunny', tooMany), 400, 'key_IDs must contain no more than 32 elements');
      expectEtsiError(await etsi().decKeysPost('sam', 'sunny', [UNKNOWN_UUID, UNKNOWN_UUID]), 400, 'key_IDs shall not repeat');
    });

    it('key_ID not a UUID: GET and POST dec_keys', async () => {
      expectEtsiError(await etsi().decKeysGet('sam', 'sunny', 'not-a-uuid'), 400, 'key_ID shall be a UUID');
      expectEtsiError(await etsi().decKeysGet('sam', 'sunny', `${UNKNOWN_UUID}0`), 400, 'key_ID shall be a UUID');
      expectEtsiError(await etsi().call('GET', 'curtis', 'sam/dec_keys', 'sunny'), 400, 'key_ID shall be a UUID');
      expectEtsiError(await etsi().decKeysPost('sam', 'sunny', ['not-a-uuid']), 400, 'key_IDs.0.key_ID shall be a UUID');
      expectEtsiError(await etsi().decKeysPost('sam', 'sunny', [UNKNOWN_UUID, 'nope']), 400, 'key_IDs.1.key_ID shall be a UUID');
    });

    it('unknown slave SAE (enc_keys GET and POST, status) and unknown master SAE (dec_keys GET and POST)', async () => {
      const slave = 'slave_SAE_ID nobody is not known to any hub';
      expectEtsiError(await etsi().encKeysGet('sam', 'nobody'), 400, slave);
      expectEtsiError(await etsi().encKeysPost('sam', 'nobody', { number: 1 }), 400, slave);
      expectEtsiError(await etsi().status('sam', 'nobody'), 400, slave);
      const master = 'master_SAE_ID nobody is not known to any hub';
      expectEtsiError(await etsi().decKeysGet('nobody', 'sunny', UNKNOWN_UUID), 400, master);
      expectEtsiError(await etsi().decKeysPost('nobody', 'sunny', [UNKNOWN_UUID]), 400, master);
    });

    it('an SAE ID that is not an SAE ID in the path', async () => {
      expectEtsiError(await etsi().encKeysGet('sam', 'No_Body'), 400, 'slave_SAE_ID is not a valid SAE ID');
      expectEtsiError(await etsi().status('sam', 'No_Body'), 400, 'slave_SAE_ID is not a valid SAE ID');
      expectEtsiError(await etsi().decKeysGet('No_Body', 'sunny', UNKNOWN_UUID), 400, 'master_SAE_ID is not a valid SAE ID');
    });

    it('master equal to slave: enc_keys GET and POST, status, dec_keys GET and POST', async () => {
      const message = 'master_SAE_ID and slave_SAE_ID shall differ';
      expectEtsiError(await etsi().encKeysGet('sam', 'sam'), 400, message);
      expectEtsiError(await etsi().encKeysPost('sam', 'sam', { number: 1 }), 400, message);
      expectEtsiError(await etsi().status('sam', 'sam'), 400, message);
      expectEtsiError(await etsi().decKeysGet('sunny', 'sunny', UNKNOWN_UUID), 400, message);
      expectEtsiError(await etsi().decKeysPost('sunny', 'sunny', [UNKNOWN_UUID]), 400, message);
    });

    it('keys not found: GET and POST dec_keys give the same 400, with one detail object per hub', async () => {
      const viaGet = await etsi().decKeysGet('sam', 'sunny', UNKNOWN_UUID);
      const viaPost = await etsi().decKeysPost('sam', 'sunny', [UNKNOWN_UUID]);
      expectEtsiError(viaGet, 400, NOT_FOUND);
      expectEtsiError(viaPost, 400, NOT_FOUND);
      expect(viaPost.body).toEqual(viaGet.body);
      expect(viaGet.body.details.map((d) => d.hub_name).sort()).toEqual(HUBS);
    });

    it('a batch with one unknown key ID is a 400 and does not use up the known key', async () => {
      const [made] = expectKeys(await etsi().encKeysGet('sam', 'sunny'), 1, LIMITS.keySize);
      expectEtsiError(await etsi().decKeysPost('sam', 'sunny', [made.key_ID, randomUUID()]), 400, NOT_FOUND);
      expect((await etsi().decKeysGet('sam', 'sunny', made.key_ID)).body).toEqual({ keys: [made] });
    });

    it('accepted empty and optional extras: {}, empty lists, extension_optional', async () => {
      for (const body of [{}, { additional_slave_SAE_IDs: [], extension_mandatory: [] }, { extension_optional: [{ 'vendor.hint': 1 }] }]) {
        const [key] = expectKeys(await etsi().encKeysPost('sam', 'serena', body), 1, LIMITS.keySize);
        expect((await etsi().decKeysGet('sam', 'serena', key.key_ID)).body).toEqual({ keys: [key] });
      }
    });
  });

  describe('keys: number, size, GET and POST forms', () => {
    for (const n of [1, 2, 5, LIMITS.maxKeyPerRequest]) {
      it(`number=${n}: GET enc_keys, then POST dec_keys with all ${n} key IDs`, async () => {
        const made = expectKeys(await etsi().encKeysGet('sam', 'sunny', `number=${n}&size=256`), n, 256);
        const fetched = expectKeys(await etsi().decKeysPost('sam', 'sunny', ids(made)), n, 256);
        expect(fetched).toEqual(made);
      });

      it(`number=${n}: POST enc_keys, then GET dec_keys one key ID at a time`, async () => {
        const made = expectKeys(await etsi().encKeysPost('serena', 'susan', { number: n, size: 256 }), n, 256);
        for (const key of made) {
          expect((await etsi().decKeysGet('serena', 'susan', key.key_ID)).body).toEqual({ keys: [key] });
        }
      });
    }

    const sizes = [LIMITS.minKeySize, 136, 256, 1024, 8192, LIMITS.maxKeySize];
    sizes.forEach((bits, i) => {
      const getFirst = i % 2 === 0;
      it(`size=${bits}: ${getFirst ? 'GET enc_keys, POST dec_keys' : 'POST enc_keys, GET dec_keys'}; ${bits / 8} bytes both sides`, async () => {
        const made = getFirst ? await etsi().encKeysGet('sunny', 'sam', `size=${bits}`) : await etsi().encKeysPost('sunny', 'sam', { size: bits });
        const [key] = expectKeys(made, 1, bits);
        const fetched = getFirst ? await etsi().decKeysPost('sunny', 'sam', [key.key_ID]) : await etsi().decKeysGet('sunny', 'sam', key.key_ID);
        expect(expectKeys(fetched, 1, bits)).toEqual([key]);
      });
    });

    it('defaults: no number and no size give one key of key_size bits, GET and POST alike', async () => {
      const [viaGet] = expectKeys(await etsi().encKeysGet('sam', 'sunny'), 1, LIMITS.keySize);
      const [viaPost] = expectKeys(await etsi().encKeysPost('sam', 'sunny'), 1, LIMITS.keySize);
      expect(viaGet.key).not.toBe(viaPost.key);
      const both = expectKeys(await etsi().decKeysPost('sam', 'sunny', [viaPost.key_ID, viaGet.key_ID]), 2, LIMITS.keySize);
      expect(both).toEqual([viaPost, viaGet]);
    });

    it('keys within a client: susan -> sunny on curtis', async () => {
      const [key] = expectKeys(await etsi().encKeysGet('susan', 'sunny', 'size=512'), 1, 512);
      expect((await etsi().decKeysGet('susan', 'sunny', key.key_ID)).body).toEqual({ keys: [key] });
    });
  });

  describe('authorization', () => {
    it('a wrong SAE on the slave client gets 401, the right slave still gets the key, and only once', async () => {
      const [key] = expectKeys(await etsi().encKeysGet('sam', 'sunny'), 1, LIMITS.keySize);
      expectEtsiError(await etsi().decKeysGet('sam', 'susan', key.key_ID), 401, WRONG_PAIR);
      expectEtsiError(await etsi().decKeysPost('sam', 'susan', [key.key_ID]), 401, WRONG_PAIR);
      const fetched = await etsi().decKeysGet('sam', 'sunny', key.key_ID);
      expect(fetched.body).toEqual({ keys: [key] });
      expectEtsiError(await etsi().decKeysGet('sam', 'sunny', key.key_ID), 400, NOT_FOUND);
      expectEtsiError(await etsi().decKeysPost('sam', 'sunny', [key.key_ID]), 400, NOT_FOUND);
    });

    it('an SAE of another client, on its own client, gets 401; the slave named as master of someone else gets 401', async () => {
      const [key] = expectKeys(await etsi().encKeysPost('sam', 'sunny', { number: 1 }), 1, LIMITS.keySize);
      expectEtsiError(await etsi().decKeysGet('sam', 'serena', key.key_ID), 401, WRONG_PAIR);
      expectEtsiError(await etsi().decKeysGet('serena', 'sunny', key.key_ID), 401, WRONG_PAIR);
      expect((await etsi().decKeysPost('sam', 'sunny', [key.key_ID])).body).toEqual({ keys: [key] });
    });

    it('the right slave SAE through a client that does not serve it gets 401', async () => {
      const [key] = expectKeys(await etsi().encKeysGet('sam', 'sunny'), 1, LIMITS.keySize);
      expectEtsiError(await etsi().decKeysGet('sam', 'sunny', key.key_ID, 'celia'), 401, 'SAE sunny is not attached to KME celia');
      expectEtsiError(await etsi().decKeysGet('sam', 'sunny', key.key_ID, 'carol'), 401, 'SAE sunny is not attached to KME carol');
      expect((await etsi().decKeysGet('sam', 'sunny', key.key_ID)).body).toEqual({ keys: [key] });
    });

    it('a master SAE on a client that does not serve it gets 401 for enc_keys and status', async () => {
      expectEtsiError(await etsi().encKeysGet('sam', 'sunny', '', 'celia'), 401, 'SAE sam is not attached to KME celia');
      expectEtsiError(await etsi().encKeysPost('sam', 'sunny', {}, 'curtis'), 401, 'SAE sam is not attached to KME curtis');
      expectEtsiError(await etsi().status('sam', 'sunny', 'curtis'), 401, 'SAE sam is not attached to KME curtis');
    });
  });

  describe('status', () => {
    const fields = [
      'source_KME_ID', 'target_KME_ID', 'master_SAE_ID', 'slave_SAE_ID', 'key_size', 'stored_key_count',
      'max_key_count', 'max_key_per_request', 'max_key_size', 'min_key_size', 'max_SAE_ID_count',
    ];

    for (const [master, slave, target] of [['sam', 'sunny', 'curtis'], ['sunny', 'serena', 'celia'], ['susan', 'sunny', 'curtis']]) {
      it(`${master} -> ${slave}: the eleven fields, types and values (target_KME_ID ${target})`, async () => {
        const response = await etsi().status(master, slave);
        expect(response.status, response.text).toBe(200);
        const status = response.body as unknown as Record<string, unknown>;
        expect(Object.keys(status).sort()).toEqual([...fields].sort());
        for (const f of fields.slice(0, 4)) expect(typeof status[f], f).toBe('string');
        for (const f of fields.slice(4)) expect(Number.isInteger(status[f]), f).toBe(true);
        expect(status).toMatchObject({
          source_KME_ID: HOME[master],
          target_KME_ID: target,
          master_SAE_ID: master,
          slave_SAE_ID: slave,
          key_size: LIMITS.keySize,
          max_key_per_request: LIMITS.maxKeyPerRequest,
          max_key_size: LIMITS.maxKeySize,
          min_key_size: LIMITS.minKeySize,
          max_SAE_ID_count: LIMITS.maxSaeIdCount,
        });
        expect(status.stored_key_count as number).toBeGreaterThan(0);
        // Pools as full as the thresholds make them; more once a stream of large requests stocked them up (never below stored).
        const fullPool = Math.floor((STOP_REQUEST_PSRD_THRESHOLD + GET_PSRD_BLOCK_SIZE - 1) / (LIMITS.keySize / 8 + SIGNATURE_BYTES));
        expect(status.max_key_count).toBe(Math.max(fullPool, status.stored_key_count as number));
      });
    }
  });
}

describe('ETSI 014 conformance, lab mode (plain HTTP, Authorization: Bearer <SAE ID>)', () => {
  let topology: TopologyHarness;
  let etsi: Etsi;

  beforeAll(async () => {
    topology = await TopologyHarness.start({ hubs: HUBS, clients: CLIENTS, minNrShares: 2 });
    etsi = new Etsi(topology, (method, url, sae, options) =>
      httpJson<EtsiBody>(method, url, { ...options, headers: { ...(sae ? { authorization: `Bearer ${sae}` } : {}), ...options.headers } }),
    );
  });
  afterAll(async () => {
    await topology?.close();
  });

  conformanceRules(() => etsi);

  // One operation set at two mount points: every rule again at the root paths ETSI GS QKD 014 section 5 gives.
  describe('at the standard root paths (/api/v1/keys/...)', () => {
    let root: Etsi;
    beforeAll(() => {
      root = new Etsi(topology, etsi.send, true);
    });
    conformanceRules(() => root);

    it('the OpenAPI document has every operation at both mount points', async () => {
      const doc = await httpJson<{ paths: Record<string, Record<string, unknown>> }>('GET', `${new URL(topology.clientUrl('carol')).origin}/openapi.json`);
      const operations = (prefix: string) =>
        Object.entries(doc.body.paths)
          .filter(([path]) => path.startsWith(prefix))
          .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path.slice(prefix.length)}`))
          .sort();
      expect(operations('/api/v1/keys/')).toEqual(['get {master_SAE_ID}/dec_keys', 'get {slave_SAE_ID}/enc_keys', 'get {slave_SAE_ID}/status', 'post {master_SAE_ID}/dec_keys', 'post {slave_SAE_ID}/enc_keys']);
      expect(operations('/client/carol/etsi/api/v1/keys/')).toEqual(operations('/api/v1/keys/'));
    });
  });

  describe('lab-mode identity', () => {
    it('no Authorization header on a client with two encryptors, or a header that names nobody: 401 on every call', async () => {
      const message = 'no SAE identity: send Authorization: Bearer <SAE ID>';
      expectEtsiError(await etsi.call('GET', 'curtis', 'sam/status', undefined), 401, message);
      expectEtsiError(await etsi.call('GET', 'curtis', 'sam/enc_keys', undefined), 401, message);
      expectEtsiError(await etsi.call('POST', 'curtis', 'sam/enc_keys', undefined, { body: {} }), 401, message);
      expectEtsiError(await etsi.call('GET', 'curtis', `sam/dec_keys?key_ID=${UNKNOWN_UUID}`, undefined), 401, message);
      expectEtsiError(await etsi.call('POST', 'curtis', 'sam/dec_keys', undefined, { body: { key_IDs: [{ key_ID: UNKNOWN_UUID }] } }), 401, message);
      expectEtsiError(await etsi.call('GET', 'carol', 'sunny/status', undefined, { headers: { authorization: 'Basic c2FtOnNhbQ==' } }), 401, message);
      expectEtsiError(await etsi.call('GET', 'carol', 'sunny/status', undefined, { headers: { authorization: 'Bearer' } }), 401, message);
    });

    it("the reference's lab rules: the bare SAE ID as Authorization, and no header on a one-encryptor client as its encryptor", async () => {
      const noHeader = await etsi.call('GET', 'carol', 'sunny/status', undefined);
      expect(noHeader.status, JSON.stringify(noHeader.body)).toBe(200);
      expect(noHeader.body).toMatchObject({ master_SAE_ID: 'sam', slave_SAE_ID: 'sunny' });
      const made = await etsi.call('GET', 'carol', 'sunny/enc_keys', undefined, { headers: { authorization: 'sam' } });
      expect(made.status, JSON.stringify(made.body)).toBe(200);
      const keyId = (made.body as { keys: Array<{ key_ID: string; key: string }> }).keys[0];
      const fetched = await etsi.call('GET', 'curtis', `sam/dec_keys?key_ID=${keyId.key_ID}`, undefined, { headers: { authorization: 'sunny' } });
      expect(fetched.status, JSON.stringify(fetched.body)).toBe(200);
      expect(fetched.body).toEqual({ keys: [keyId] });
      expectEtsiError(await etsi.call('GET', 'curtis', 'sam/status', undefined, { headers: { authorization: 'sam' } }), 401, 'SAE sam is not attached to KME curtis');
    });
  });
});

describe('ETSI 014 conformance, mutual TLS (HTTPS, SAE ID from the client certificate)', () => {
  let topology: TopologyHarness;
  let etsi: Etsi;
  let pki: Map<string, string>;
  let foreignPki: Map<string, string>;
  let lab: LabPkiDir;
  const agents = new Map<string, Agent>();

  /** An encryptor's TLS identity: its certificate and key, trusting the lab CA. */
  const identity = (sae: string, from = pki) => ({ cert: from.get(pkiFiles.saeCert(sae)), key: from.get(pkiFiles.saeKey(sae)), ca: pki.get(pkiFiles.caCert) });

  beforeAll(async () => {
    [lab, foreignPki] = await Promise.all([writeLabPki(CLIENTS), createLabPki({ clients: CLIENTS })]);
    pki = lab.pki;
    topology = await TopologyHarness.start({ hubs: HUBS, clients: CLIENTS, minNrShares: 2, https: true, clientArgsFor: (name) => lab.clientTlsArgs(name) });
    for (const sae of Object.keys(HOME)) agents.set(sae, httpsAgent(identity(sae), 4));
    etsi = new Etsi(topology, (method, url, sae, options) =>
      sae ? httpsJson<EtsiBody>(method, url, { ...options, agent: agents.get(sae) }) : httpsJson<EtsiBody>(method, url, { ...options, tls: { ca: pki.get(pkiFiles.caCert) } }),
    );
  });
  afterAll(async () => {
    for (const agent of agents.values()) agent.destroy();
    await topology?.close();
    lab?.remove();
  });

  conformanceRules(() => etsi);

  describe('TLS identity', () => {
    it('clients serve HTTPS with their KME certificate: plain HTTP is not answered', async () => {
      await expect(httpJson('GET', etsi.url('carol', 'sunny/status').replace(/^https:/, 'http:'), { headers: { authorization: 'Bearer sam' } })).rejects.toThrow();
    });

    it('no client certificate: 401 on every call', async () => {
      const message = 'client certificate not accepted: no client certificate sent';
      expectEtsiError(await etsi.call('GET', 'carol', 'sunny/status', undefined), 401, message);
      expectEtsiError(await etsi.call('GET', 'carol', 'sunny/enc_keys', undefined), 401, message);
      expectEtsiError(await etsi.call('POST', 'carol', 'sunny/enc_keys', undefined, { body: {} }), 401, message);
      expectEtsiError(await etsi.call('GET', 'curtis', `sam/dec_keys?key_ID=${UNKNOWN_UUID}`, undefined), 401, message);
      expectEtsiError(await etsi.call('POST', 'curtis', 'sam/dec_keys', undefined, { body: { key_IDs: [{ key_ID: UNKNOWN_UUID }] } }), 401, message);
    });

    it('the lab-mode bearer header is ignored: without a certificate still 401, with one the certificate decides', async () => {
      const noCert = await etsi.call('GET', 'carol', 'sunny/enc_keys', undefined, { headers: { authorization: 'Bearer sam' } });
      expectEtsiError(noCert, 401, 'client certificate not accepted: no client certificate sent');
      const samAsSunny = await etsi.call('GET', 'curtis', 'susan/status', 'sam', { headers: { authorization: 'Bearer sunny' } });
      expectEtsiError(samAsSunny, 401, 'SAE sam is not attached to KME curtis');
    });

    it('a certificate from another CA (same CN) is refused with 401', async () => {
      const foreign = identity('sam', foreignPki);
      const response = await httpsJson<EtsiBody>('GET', etsi.url('carol', 'sunny/enc_keys'), { tls: foreign });
      expectEtsiError(response, 401, 'client certificate not accepted: UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      const status = await httpsJson<EtsiBody>('GET', etsi.url('carol', 'sunny/status'), { tls: foreign });
      expectEtsiError(status, 401, 'client certificate not accepted: UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    });

    it("a KME's own server certificate (serverAuth only) is not a client certificate: 401", async () => {
      const kme = { cert: pki.get(pkiFiles.kmeCert('carol')), key: pki.get(pkiFiles.kmeKey('carol')), ca: pki.get(pkiFiles.caCert) };
      expectEtsiError(await httpsJson<EtsiBody>('GET', etsi.url('carol', 'sunny/status'), { tls: kme }), 401, 'client certificate not accepted: INVALID_PURPOSE');
    });

    it('an encryptor certificate of an SAE attached to another client: 401', async () => {
      expectEtsiError(await etsi.call('GET', 'curtis', 'sunny/status', 'sam'), 401, 'SAE sam is not attached to KME curtis');
      expectEtsiError(await etsi.call('GET', 'carol', `sam/dec_keys?key_ID=${UNKNOWN_UUID}`, 'sunny'), 401, 'SAE sunny is not attached to KME carol');
    });

    it("encryptors' certificates work: a key pair matches across two clients, each side on a fresh connection", async () => {
      const made = await httpsJson<EtsiBody>('POST', etsi.url('carol', 'serena/enc_keys'), { tls: identity('sam'), body: { number: 2, size: 256 } });
      const keys = expectKeys(made, 2, 256);
      const fetched = await httpsJson<EtsiBody>('POST', etsi.url('celia', 'sam/dec_keys'), { tls: identity('serena'), body: { key_IDs: keys.map(({ key_ID }) => ({ key_ID })) } });
      expect(expectKeys(fetched, 2, 256)).toEqual(keys);
    });
  });
});
