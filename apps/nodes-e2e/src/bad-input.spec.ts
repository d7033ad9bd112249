import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopologyHarness, httpJson } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';

// Bad input of every kind at every endpoint: a 4xx with the node's JSON error
// shape, never a 500, and the node keeps serving.
const HUBS = ['hank', 'helen', 'hilary'];
const CLIENTS = [
  { name: 'carol', encryptors: ['sam'] },
  { name: 'curtis', encryptors: ['sunny', 'susan'] },
];

interface Case {
  name: string;
  node: 'hank' | 'carol' | 'curtis';
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH' | 'OPTIONS';
  /** Below the node's prefix (/hub/hank, /client/carol or /client/curtis). */
  path: string;
  headers?: Record<string, string>;
  /** JSON-encoded unless rawBody is given. */
  body?: unknown;
  rawBody?: string;
  status: number;
  /** Hub error code. */
  code?: string;
  /** ETSI: the exact message; hub: a pattern the message matches. */
  message?: string | RegExp;
}

const SAM = { authorization: 'Bearer sam' };
const UUID = '4b700076-9691-4935-9e9b-707c1425fd29';
const OVERSIZED = `{"client_name":"${'a'.repeat(2 * 1024 * 1024 + 10)}"}`;
const TEXT = { 'content-type': 'text/plain' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const validShare = () => ({
  master_client_name: 'probe',
  master_sae_id: 'pat',
  slave_sae_id: 'sunny',
  user_key_id: randomUUID(),
  share_index: 0,
  encryption_key_allocation: { fragments: [{ block_uuid: randomUUID(), start: 0, size: 32 }] },
  encrypted_share_value: randomBytes(32).toString('base64'),
});
const withShare = (edit: (share: Record<string, unknown>) => void) => {
  const share = validShare() as Record<string, unknown>;
  edit(share);
  return share;
};
const withFragment = (fragment: Record<string, unknown>) => withShare((s) => ((s.encryption_key_allocation as { fragments: unknown[] }).fragments = [fragment]));
const getShareQuery = (fields: Record<string, string>) =>
  new URLSearchParams({ client_name: 'probe', master_sae_id: 'sam', slave_sae_id: 'pat', key_id: UUID, ...fields }).toString();
const batch = (edit: (b: Record<string, unknown>) => void = () => undefined) => {
  const { master_client_name, master_sae_id, slave_sae_id, ...share } = validShare();
  const body: Record<string, unknown> = { master_client_name, master_sae_id, slave_sae_id, shares: [share] };
  edit(body);
  return body;
};

const hubCases: Case[] = [
  // PUT registration
  ...([
    ['empty object', {}, /client_name must be a string/],
    ['no client_name', { encryptor_names: [] }, /^client_name must be a lower-case DNS label; client_name must be a string$/],
    ['no encryptor_names', { client_name: 'probe2' }, /encryptor_names must be an array/],
    ['client_name a number', { client_name: 5, encryptor_names: [] }, /client_name must be a string/],
    ['client_name upper case', { client_name: 'Carol', encryptor_names: [] }, /^client_name must be a lower-case DNS label$/],
    ['client_name too long', { client_name: 'a'.repeat(64), encryptor_names: [] }, /^client_name must be a lower-case DNS label$/],
    ['encryptor_names a string', { client_name: 'probe2', encryptor_names: 'sam' }, /encryptor_names must be an array/],
    ['encryptor_names of numbers', { client_name: 'probe2', encryptor_names: [1] }, /each value in encryptor_names must be a string/],
    ['257 encryptors', { client_name: 'probe2', encryptor_names: Array.from({ length: 257 }, (_, i) => `e${i}`) }, /^encryptor_names must contain no more than 256 elements$/],
    ['unknown field', { client_name: 'probe2', encryptor_names: [], extra: 1 }, /^property extra should not exist$/],
    ['encryptor named twice', { client_name: 'probe2', encryptor_names: ['sam', 'sam'] }, /^encryptor_names must not repeat$/],
    ['a JSON array', [], /client_name/],
  ] as Array<[string, unknown, RegExp]>).map(([name, body, message]): Case => ({ name: `registration: ${name}`, node: 'hank', method: 'PUT', path: '/dske/oob/v1/registration', body, status: 400, code: 'validation', message })),
  { name: 'registration: malformed JSON', node: 'hank', method: 'PUT', path: '/dske/oob/v1/registration', rawBody: '{"client_name":', status: 400 },
  { name: 'registration: JSON null', node: 'hank', method: 'PUT', path: '/dske/oob/v1/registration', rawBody: 'null', status: 400 },
  { name: 'registration: text/plain', node: 'hank', method: 'PUT', path: '/dske/oob/v1/registration', headers: TEXT, rawBody: '{"client_name":"probe2","encryptor_names":[]}', status: 415, code: 'unsupported-media-type' },
  { name: 'registration: form', node: 'hank', method: 'PUT', path: '/dske/oob/v1/registration', headers: FORM, rawBody: 'client_name=probe2&encryptor_names[]=x', status: 415, code: 'unsupported-media-type' },
  { name: 'registration: over 2 MB', node: 'hank', method: 'PUT', path: '/dske/oob/v1/registration', rawBody: OVERSIZED, status: 413 },

  // GET psrd
  ...([
    ['no query', '', /client_name must be a string/],
    ['no client_name', 'pool_owner=hub&size=10', /client_name must be a string/],
    ['pool_owner both', 'client_name=probe&pool_owner=both&size=10', /^pool_owner must be one of the following values: client, hub$/],
    ['size 0', 'client_name=probe&pool_owner=hub&size=0', /^size must not be less than 1$/],
    ['size -8', 'client_name=probe&pool_owner=hub&size=-8', /size must be a decimal integer/],
    ['size abc', 'client_name=probe&pool_owner=hub&size=abc', /size must be a decimal integer/],
    ['size 1e3', 'client_name=probe&pool_owner=hub&size=1e3', /size must be a decimal integer/],
    ['size 0x10', 'client_name=probe&pool_owner=hub&size=0x10', /size must be a decimal integer/],
    ['size with a space', 'client_name=probe&pool_owner=hub&size=%2010', /size must be a decimal integer/],
    ['size 1.5', 'client_name=probe&pool_owner=hub&size=1.5', /size must be a decimal integer/],
    ['size 99999999999', 'client_name=probe&pool_owner=hub&size=99999999999', /size must be a decimal integer/],
    ['size 1048577', 'client_name=probe&pool_owner=hub&size=1048577', /^size must not be greater than 1048576$/],
    ['no size', 'client_name=probe&pool_owner=hub', /size must be a decimal integer/],
    ['unknown parameter', 'client_name=probe&pool_owner=hub&size=10&foo=1', /^property foo should not exist$/],
    ['client_name twice', 'client_name=probe&client_name=carol&pool_owner=hub&size=10', /client_name must be a string/],
  ] as Array<[string, string, RegExp]>).map(([name, query, message]): Case => ({ name: `psrd: ${name}`, node: 'hank', method: 'GET', path: `/dske/oob/v1/psrd?${query}`, status: 400, code: 'validation', message })),
  { name: 'psrd: unregistered client', node: 'hank', method: 'GET', path: '/dske/oob/v1/psrd?client_name=nobody&pool_owner=hub&size=10', status: 400, code: 'client.unknown', message: /^client nobody is not registered with this hub$/ },
  { name: 'psrd: POST', node: 'hank', method: 'POST', path: '/dske/oob/v1/psrd?client_name=probe&pool_owner=hub&size=10', status: 405, code: 'method-not-allowed', message: /^POST is not allowed on \/hub\/hank\/dske\/oob\/v1\/psrd \(allowed: GET\)$/ },
  { name: 'registration: nested 5,000 levels deep', node: 'hank', method: 'PUT', path: '/dske/oob/v1/registration', rawBody: `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, status: 400, code: 'validation', message: /^JSON nested deeper than 16 levels$/ },
  { name: 'registration: __proto__ in the body', node: 'hank', method: 'PUT', path: '/dske/oob/v1/registration', rawBody: '{"client_name":"probe3","encryptor_names":[],"__proto__":{"admin":true}}', status: 400, code: 'validation', message: /^property __proto__ should not exist$/ },
  { name: 'registration: constructor in the body', node: 'hank', method: 'PUT', path: '/dske/oob/v1/registration', rawBody: '{"client_name":"probe3","encryptor_names":[],"constructor":{}}', status: 400, code: 'validation', message: /^property constructor should not exist$/ },
  { name: 'psrd: __proto__ in the query', node: 'hank', method: 'GET', path: '/dske/oob/v1/psrd?client_name=probe&pool_owner=hub&size=10&__proto__=1', status: 400, code: 'validation', message: /^property __proto__ should not exist$/ },
  { name: 'key-share: nested 5,000 levels deep', node: 'hank', method: 'POST', path: '/dske/api/v1/key-share', rawBody: `${'['.repeat(5000)}${']'.repeat(5000)}`, status: 400, code: 'validation' },
  { name: 'key-share: PATCH', node: 'hank', method: 'PATCH', path: '/dske/api/v1/key-share', body: validShare(), status: 405, code: 'method-not-allowed' },
  { name: 'key-share: OPTIONS', node: 'hank', method: 'OPTIONS', path: '/dske/api/v1/key-share', status: 405, code: 'method-not-allowed' },
  { name: 'registration: upper-case path', node: 'hank', method: 'PUT', path: '/dske/oob/v1/REGISTRATION', body: { client_name: 'probe3', encryptor_names: [] }, status: 404, code: 'not-found' },
  { name: 'registration: trailing slash', node: 'hank', method: 'PUT', path: '/dske/oob/v1/registration/', body: { client_name: 'probe3', encryptor_names: [] }, status: 404, code: 'not-found' },
  { name: 'encryptors: unknown parameter', node: 'hank', method: 'GET', path: '/dske/oob/v1/encryptors?foo=1', status: 400, code: 'validation', message: /^property foo should not exist$/ },

  // POST key-share
  { name: 'key-share: empty object', node: 'hank', method: 'POST', path: '/dske/api/v1/key-share', body: {}, status: 400, code: 'validation', message: /master_client_name must be a string/ },
  ...Object.keys(validShare()).map((field): Case => ({
    name: `key-share: no ${field}`, node: 'hank', method: 'POST', path: '/dske/api/v1/key-share', body: withShare((s) => delete s[field]), status: 400, code: 'validation', message: new RegExp(field),
  })),
  ...([
    ['user_key_id not a UUID', withShare((s) => (s.user_key_id = 'not-a-uuid')), /^user_key_id must be a UUID$/],
    ['share_index -1', withShare((s) => (s.share_index = -1)), /^share_index must not be less than 0$/],
    ['share_index 16', withShare((s) => (s.share_index = 16)), /^share_index must not be greater than 15$/],
    ['share_index a string', withShare((s) => (s.share_index = '0')), /share_index must be an integer number/],
    ['share_index 1.5', withShare((s) => (s.share_index = 1.5)), /share_index must be an integer number/],
    ['master_client_name a number', withShare((s) => (s.master_client_name = 7)), /master_client_name must be a string/],
    ['encryption_key_allocation a string', withShare((s) => (s.encryption_key_allocation = 'x')), /encryption_key_allocation/],
    ['no fragments', withShare((s) => (s.encryption_key_allocation = {})), /fragments must be an array/],
    ['empty fragments', withShare((s) => (s.encryption_key_allocation = { fragments: [] })), /fragments must contain at least 1 elements/],
    ['fragment start -1', withFragment({ block_uuid: UUID, start: -1, size: 32 }), /start must not be less than 0/],
    ['fragment size 0', withFragment({ block_uuid: UUID, start: 0, size: 0 }), /size must not be less than 1/],
    ['fragment size 99999999999', withFragment({ block_uuid: UUID, start: 0, size: 99999999999 }), /size must not be greater than 1048576/],
    ['fragment start a string', withFragment({ block_uuid: UUID, start: '0', size: 32 }), /start must be an integer number/],
    ['fragment block_uuid not a UUID', withFragment({ block_uuid: 'x', start: 0, size: 32 }), /block_uuid must be a UUID/],
    ['fragment unknown field', withFragment({ block_uuid: UUID, start: 0, size: 32, extra: true }), /property extra should not exist/],
    ['share value not base64', withShare((s) => (s.encrypted_share_value = '!!!!')), /^encrypted_share_value must be base64 encoded$/],
    ['share value empty', withShare((s) => (s.encrypted_share_value = '')), /encrypted_share_value should not be empty/],
    ['share value a number', withShare((s) => (s.encrypted_share_value = 12)), /encrypted_share_value must be a string/],
    ['unknown field', withShare((s) => (s.extra = 1)), /^property extra should not exist$/],
  ] as Array<[string, unknown, RegExp]>).map(([name, body, message]): Case => ({ name: `key-share: ${name}`, node: 'hank', method: 'POST', path: '/dske/api/v1/key-share', body, status: 400, code: 'validation', message })),
  { name: 'key-share: malformed JSON', node: 'hank', method: 'POST', path: '/dske/api/v1/key-share', rawBody: '{"master_client_name":"probe",}', status: 400 },
  { name: 'key-share: text/plain', node: 'hank', method: 'POST', path: '/dske/api/v1/key-share', headers: TEXT, rawBody: JSON.stringify(validShare()), status: 415, code: 'unsupported-media-type' },
  { name: 'key-share: over 2 MB', node: 'hank', method: 'POST', path: '/dske/api/v1/key-share', rawBody: OVERSIZED, status: 413 },
  { name: 'key-share: valid but unsigned', node: 'hank', method: 'POST', path: '/dske/api/v1/key-share', body: validShare(), status: 400, code: 'signature.missing', message: /^missing DSKE-Signature header$/ },
  { name: 'key-share: unknown client', node: 'hank', method: 'POST', path: '/dske/api/v1/key-share', body: withShare((s) => (s.master_client_name = 'nobody')), status: 400, code: 'client.unknown' },

  // POST key-shares (batch)
  { name: 'key-shares: empty object', node: 'hank', method: 'POST', path: '/dske/api/v1/key-shares', body: {}, status: 400, code: 'validation', message: /shares must be an array/ },
  { name: 'key-shares: no shares', node: 'hank', method: 'POST', path: '/dske/api/v1/key-shares', body: batch((b) => (b.shares = [])), status: 400, code: 'validation', message: /^shares must contain at least 1 elements$/ },
  { name: 'key-shares: 129 shares', node: 'hank', method: 'POST', path: '/dske/api/v1/key-shares', body: batch((b) => (b.shares = Array.from({ length: 129 }, () => (batch().shares as unknown[])[0]))), status: 400, code: 'validation', message: /^shares must contain no more than 128 elements$/ },
  { name: 'key-shares: a share without its value', node: 'hank', method: 'POST', path: '/dske/api/v1/key-shares', body: batch((b) => delete (b.shares as Array<Record<string, unknown>>)[0].encrypted_share_value), status: 400, code: 'validation', message: /shares\.0\.encrypted_share_value/ },
  { name: 'key-shares: valid but unsigned', node: 'hank', method: 'POST', path: '/dske/api/v1/key-shares', body: batch(), status: 400, code: 'signature.missing' },

  // GET key-share(s)
  ...([
    ['no query', '', /client_name must be a string/],
    ['key_id not a UUID', getShareQuery({ key_id: 'x' }), /^key_id must be a UUID$/],
    ['key_id twice', `${getShareQuery({})}&key_id=${UUID}`, /^key_id must be a UUID$/],
    ['unknown parameter', `${getShareQuery({})}&foo=1`, /^property foo should not exist$/],
    ['slave_sae_id upper case', getShareQuery({ slave_sae_id: 'Pat' }), /^slave_sae_id must be a lower-case DNS label$/],
  ] as Array<[string, string, RegExp]>).map(([name, query, message]): Case => ({ name: `GET key-share: ${name}`, node: 'hank', method: 'GET', path: `/dske/api/v1/key-share?${query}`, status: 400, code: 'validation', message })),
  { name: 'GET key-share: valid but unsigned', node: 'hank', method: 'GET', path: `/dske/api/v1/key-share?${getShareQuery({})}`, status: 400, code: 'signature.missing' },
  { name: 'GET key-share: unknown client', node: 'hank', method: 'GET', path: `/dske/api/v1/key-share?${getShareQuery({ client_name: 'nobody' })}`, status: 400, code: 'client.unknown' },
  { name: 'GET key-shares: key_ids not UUIDs', node: 'hank', method: 'GET', path: `/dske/api/v1/key-shares?${new URLSearchParams({ client_name: 'probe', master_sae_id: 'sam', slave_sae_id: 'pat', key_ids: 'x,y' })}`, status: 400, code: 'validation', message: /^key_ids must be comma-separated UUIDs$/ },
  { name: 'GET key-shares: 129 key_ids', node: 'hank', method: 'GET', path: `/dske/api/v1/key-shares?${new URLSearchParams({ client_name: 'probe', master_sae_id: 'sam', slave_sae_id: 'pat', key_ids: Array.from({ length: 129 }, () => randomUUID()).join(',') })}`, status: 400, code: 'validation' },
  { name: 'GET key-shares: valid but unsigned', node: 'hank', method: 'GET', path: `/dske/api/v1/key-shares?${new URLSearchParams({ client_name: 'probe', master_sae_id: 'sam', slave_sae_id: 'pat', key_ids: `${UUID},${randomUUID()}` })}`, status: 400, code: 'signature.missing' },

  // mgmt (stop is never called with POST here)
  { name: 'mgmt status: unknown parameter', node: 'hank', method: 'GET', path: '/mgmt/v1/status?foo=1', status: 400, code: 'validation', message: /^property foo should not exist$/ },
  { name: 'mgmt status: DELETE', node: 'hank', method: 'DELETE', path: '/mgmt/v1/status', status: 405, code: 'method-not-allowed' },
  { name: 'mgmt stop: GET', node: 'hank', method: 'GET', path: '/mgmt/v1/stop', status: 405, code: 'method-not-allowed' },
  // Stop takes exactly its documented form; anything else leaves the node running (checked after each case).
  { name: 'mgmt stop: ?force=1', node: 'hank', method: 'POST', path: '/mgmt/v1/stop?force=1', status: 400, code: 'validation', message: /^property force should not exist$/ },
  { name: 'mgmt stop: a body with a field', node: 'hank', method: 'POST', path: '/mgmt/v1/stop', body: { now: true }, status: 400, code: 'validation', message: /^property now should not exist$/ },
  { name: 'mgmt stop: a JSON array', node: 'hank', method: 'POST', path: '/mgmt/v1/stop', body: [], status: 400, code: 'validation', message: /^this endpoint takes no body$/ },
  { name: 'mgmt stop: /STOP', node: 'hank', method: 'POST', path: '/mgmt/v1/STOP', status: 404, code: 'not-found' },
  { name: 'mgmt stop: /stop/', node: 'hank', method: 'POST', path: '/mgmt/v1/stop/', status: 404, code: 'not-found' },
  { name: 'unknown path', node: 'hank', method: 'GET', path: '/dske/api/v2/key-share', status: 404, code: 'not-found' },
];

const etsi = (slave: string, tail: string) => `/etsi/api/v1/keys/${slave}/${tail}`;
const clientCases: Case[] = [
  // status
  // curtis has two encryptors: without the header, nobody (carol, with one, would take it as sam's).
  { name: 'status: no Authorization', node: 'curtis', method: 'GET', path: etsi('sam', 'status'), status: 401, message: 'no SAE identity: send Authorization: Bearer <SAE ID>' },
  { name: 'status: an SAE of another KME', node: 'carol', method: 'GET', path: etsi('sunny', 'status'), headers: { authorization: 'Bearer sunny' }, status: 401, message: 'SAE sunny is not attached to KME carol' },
  { name: 'status: slave ID not an SAE ID', node: 'carol', method: 'GET', path: etsi('Sunny', 'status'), headers: SAM, status: 400, message: 'slave_SAE_ID is not a valid SAE ID' },
  { name: 'status: master == slave', node: 'carol', method: 'GET', path: etsi('sam', 'status'), headers: SAM, status: 400, message: 'master_SAE_ID and slave_SAE_ID shall differ' },
  { name: 'status: unknown slave', node: 'carol', method: 'GET', path: etsi('nobody', 'status'), headers: SAM, status: 400, message: 'slave_SAE_ID nobody is not known to any hub' },
  { name: 'status: unknown parameter', node: 'carol', method: 'GET', path: `${etsi('sunny', 'status')}?foo=1`, headers: SAM, status: 400, message: 'property foo should not exist' },

  // GET enc_keys
  ...([
    ['size=99999999999', 'size shall be a non-negative integer'],
    ['size=-8', 'size shall be a non-negative integer'],
    ['size=abc', 'size shall be a non-negative integer'],
    ['size=', 'size shall be a non-negative integer'],
    ['size=12', 'size shall be a multiple of 8'],
    ['size=0', 'requested key size is below min_key_size (128)'],
    ['size=24', 'requested key size is below min_key_size (128)'],
    ['size=120', 'requested key size is below min_key_size (128)'],
    ['size=65544', 'requested key size exceeds max_key_size (65536)'],
    ['number=0', 'number shall be at least 1'],
    ['number=abc', 'number shall be a non-negative integer'],
    ['number=-1', 'number shall be a non-negative integer'],
    ['number=1.5', 'number shall be a non-negative integer'],
    ['number=33', 'requested number of keys exceeds max_key_per_request (32)'],
    ['number=1&number=2', 'number shall be a non-negative integer'],
    ['foo=1', 'property foo should not exist'],
  ] as Array<[string, string]>).map(([query, message]): Case => ({ name: `GET enc_keys: ${query}`, node: 'carol', method: 'GET', path: `${etsi('sunny', 'enc_keys')}?${query}`, headers: SAM, status: 400, message })),
  { name: 'GET enc_keys: master == slave', node: 'carol', method: 'GET', path: etsi('sam', 'enc_keys'), headers: SAM, status: 400, message: 'master_SAE_ID and slave_SAE_ID shall differ' },
  { name: 'GET enc_keys: no Authorization', node: 'curtis', method: 'GET', path: etsi('sam', 'enc_keys'), status: 401, message: 'no SAE identity: send Authorization: Bearer <SAE ID>' },
  { name: 'GET enc_keys: Authorization that names nobody', node: 'carol', method: 'GET', path: etsi('sunny', 'enc_keys'), headers: { authorization: 'Basic c2FtOnNhbQ==' }, status: 401, message: 'no SAE identity: send Authorization: Bearer <SAE ID>' },

  // POST enc_keys
  ...([
    ['number 0', { number: 0 }, 'number shall be at least 1'],
    ['number a string', { number: '1' }, 'number shall be an integer'],
    ['number 1.5', { number: 1.5 }, 'number shall be an integer'],
    ['number 33', { number: 33 }, 'requested number of keys exceeds max_key_per_request (32)'],
    ['size 100', { size: 100 }, 'size shall be a multiple of 8'],
    ['size 99999999999', { size: 99999999999 }, 'size shall be a multiple of 8'],
    ['size 99999999992', { size: 99999999992 }, 'requested key size exceeds max_key_size (65536)'],
    ['size -8', { size: -8 }, 'requested key size is below min_key_size (128)'],
    ['size a string', { size: '256' }, 'size shall be an integer'],
    ['extension_mandatory', { extension_mandatory: [{ abc_route_type: 'direct' }] }, 'not all extension_mandatory parameters are supported'],
    ['extension_mandatory not an array', { extension_mandatory: { a: 1 } }, 'extension_mandatory must be an array'],
    ['extension_mandatory of numbers', { extension_mandatory: [1] }, 'each value in extension_mandatory must be an object'],
    ['additional_slave_SAE_IDs', { additional_slave_SAE_IDs: ['susan'] }, 'additional_slave_SAE_IDs are not supported (max_SAE_ID_count is 0)'],
    ['unknown field', { foo: 1 }, 'property foo should not exist'],
    ['a JSON array', [1], 'property 0 should not exist'],
  ] as Array<[string, unknown, string]>).map(([name, body, message]): Case => ({ name: `POST enc_keys: ${name}`, node: 'carol', method: 'POST', path: etsi('sunny', 'enc_keys'), headers: SAM, body, status: 400, message })),
  { name: 'POST enc_keys: malformed JSON', node: 'carol', method: 'POST', path: etsi('sunny', 'enc_keys'), headers: SAM, rawBody: '{"number":', status: 400 },
  { name: 'POST enc_keys: text/plain', node: 'carol', method: 'POST', path: etsi('sunny', 'enc_keys'), headers: { ...SAM, ...TEXT }, rawBody: '{"number":3}', status: 415, message: 'request body must be application/json, not text/plain' },
  { name: 'POST enc_keys: form', node: 'carol', method: 'POST', path: etsi('sunny', 'enc_keys'), headers: { ...SAM, ...FORM }, rawBody: 'number=3', status: 415 },
  { name: 'POST enc_keys: over 2 MB', node: 'carol', method: 'POST', path: etsi('sunny', 'enc_keys'), headers: SAM, rawBody: OVERSIZED, status: 413 },

  // GET dec_keys (sam asks for a key sunny made)
  ...([
    ['key_ID=abc', 'key_ID shall be a UUID'],
    ['', 'key_ID shall be a UUID'],
    [`key_ID=${UUID}x`, 'key_ID shall be a UUID'],
    [`key_ID=${UUID}&key_ID=${UUID}`, 'key_ID shall be a UUID'],
    [`key_ID=${UUID}&foo=1`, 'property foo should not exist'],
    [`key_ID=${UUID}`, 'one or more keys specified are not found on KME'],
  ] as Array<[string, string]>).map(([query, message]): Case => ({ name: `GET dec_keys: ${query || 'no key_ID'}`, node: 'carol', method: 'GET', path: `${etsi('sunny', 'dec_keys')}?${query}`, headers: SAM, status: 400, message })),
  { name: 'GET dec_keys: master ID not an SAE ID', node: 'carol', method: 'GET', path: `${etsi('SUNNY', 'dec_keys')}?key_ID=${UUID}`, headers: SAM, status: 400, message: 'master_SAE_ID is not a valid SAE ID' },
  { name: 'GET dec_keys: master == slave', node: 'carol', method: 'GET', path: `${etsi('sam', 'dec_keys')}?key_ID=${UUID}`, headers: SAM, status: 400, message: 'master_SAE_ID and slave_SAE_ID shall differ' },
  { name: 'GET dec_keys: unknown master', node: 'carol', method: 'GET', path: `${etsi('nobody', 'dec_keys')}?key_ID=${UUID}`, headers: SAM, status: 400, message: 'master_SAE_ID nobody is not known to any hub' },

  // POST dec_keys
  ...([
    ['empty object', {}, 'key_IDs must be an array'],
    ['no key IDs', { key_IDs: [] }, 'key_IDs must contain at least 1 elements'],
    ['key_IDs a string', { key_IDs: UUID }, 'key_IDs must be an array'],
    ['key_ID not a UUID', { key_IDs: [{ key_ID: 'x' }] }, 'key_IDs.0.key_ID shall be a UUID'],
    ['key_ID a number', { key_IDs: [{ key_ID: 5 }] }, 'key_IDs.0.key_ID shall be a UUID'],
    ['repeated key_ID', { key_IDs: [{ key_ID: UUID }, { key_ID: UUID }] }, 'key_IDs shall not repeat'],
    ['33 key IDs', { key_IDs: Array.from({ length: 33 }, () => ({ key_ID: randomUUID() })) }, 'key_IDs must contain no more than 32 elements'],
    ['unknown field in a key ID', { key_IDs: [{ key_ID: UUID, foo: 1 }] }, 'key_IDs.0.property foo should not exist'],
    ['key_IDs_extension a string', { key_IDs: [{ key_ID: UUID }], key_IDs_extension: 'x' }, 'key_IDs_extension must be an object'],
    ['unknown key', { key_IDs: [{ key_ID: randomUUID() }] }, 'one or more keys specified are not found on KME'],
  ] as Array<[string, unknown, string]>).map(([name, body, message]): Case => ({ name: `POST dec_keys: ${name}`, node: 'carol', method: 'POST', path: etsi('sunny', 'dec_keys'), headers: SAM, body, status: 400, message })),
  { name: 'POST dec_keys: malformed JSON', node: 'carol', method: 'POST', path: etsi('sunny', 'dec_keys'), headers: SAM, rawBody: '{"key_IDs":[{"key_ID":}]}', status: 400 },
  { name: 'POST dec_keys: text/plain', node: 'carol', method: 'POST', path: etsi('sunny', 'dec_keys'), headers: { ...SAM, ...TEXT }, rawBody: JSON.stringify({ key_IDs: [{ key_ID: UUID }] }), status: 415 },
  { name: 'POST dec_keys: over 2 MB', node: 'carol', method: 'POST', path: etsi('sunny', 'dec_keys'), headers: SAM, rawBody: OVERSIZED, status: 413 },
  { name: 'POST dec_keys: no Authorization', node: 'curtis', method: 'POST', path: etsi('sam', 'dec_keys'), body: { key_IDs: [{ key_ID: UUID }] }, status: 401 },
  { name: 'ETSI: unknown path', node: 'carol', method: 'GET', path: '/etsi/api/v1/keys/sunny', headers: SAM, status: 404 },

  // client mgmt
  { name: 'client mgmt status: unknown parameter', node: 'carol', method: 'GET', path: '/mgmt/v1/status?foo=1', status: 400, code: 'validation', message: /^property foo should not exist$/ },
  { name: 'client mgmt status: POST', node: 'carol', method: 'POST', path: '/mgmt/v1/status', status: 405, code: 'method-not-allowed' },
  { name: 'client mgmt stop: GET', node: 'carol', method: 'GET', path: '/mgmt/v1/stop', status: 405, code: 'method-not-allowed' },
  { name: 'client mgmt stop: /Stop', node: 'carol', method: 'POST', path: '/mgmt/v1/Stop', status: 404, code: 'not-found' },
  { name: 'POST enc_keys: nested 5,000 levels deep', node: 'carol', method: 'POST', path: etsi('sunny', 'enc_keys'), headers: SAM, rawBody: `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, status: 400, message: 'JSON nested deeper than 16 levels' },
  { name: 'POST enc_keys: __proto__ in the body', node: 'carol', method: 'POST', path: etsi('sunny', 'enc_keys'), headers: SAM, rawBody: '{"number":1,"__proto__":{"number":32}}', status: 400, message: 'property __proto__ should not exist' },
  { name: 'GET enc_keys: __proto__ in the query', node: 'carol', method: 'GET', path: `${etsi('sunny', 'enc_keys')}?__proto__=1`, headers: SAM, status: 400, message: 'property __proto__ should not exist' },
  { name: 'PUT enc_keys', node: 'carol', method: 'PUT', path: etsi('sunny', 'enc_keys'), headers: SAM, body: { number: 1 }, status: 405, message: 'PUT is not allowed on /client/carol/etsi/api/v1/keys/sunny/enc_keys (allowed: GET, POST)' },
  { name: 'DELETE dec_keys', node: 'carol', method: 'DELETE', path: `${etsi('sam', 'dec_keys')}?key_ID=${UUID}`, headers: { authorization: 'Bearer sunny' }, status: 405 },
];

describe('bad input: 4xx with a JSON error, never 500, node stays up', () => {
  let topology: TopologyHarness;

  beforeAll(async () => {
    topology = await TopologyHarness.start({ hubs: HUBS, clients: CLIENTS, minNrShares: 2 });
    // A client of hank's own, so that requests for it get past "unknown client".
    const registered = await httpJson('PUT', `${topology.hubUrl('hank')}/dske/oob/v1/registration`, { body: { client_name: 'probe', encryptor_names: ['pat'] } });
    expect(registered.status).toBe(200);
  });
  afterAll(async () => {
    await topology?.close();
  });

  const urlOf = (c: Case) => (c.node === 'hank' ? topology.hubUrl('hank') : topology.clientUrl(c.node)) + c.path;
  const portOf = (c: Case) => (c.node === 'hank' ? topology.hub('hank') : topology.client(c.node)).port;

  async function send(c: Case) {
    const rawBody = c.rawBody ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
    return httpJson<Record<string, unknown>>(c.method, urlOf(c), { rawBody, headers: c.headers });
  }

  async function expectHealthy(c: Case) {
    const health = await httpJson('GET', `http://127.0.0.1:${portOf(c)}/healthz`);
    expect(health.status, `${c.name}: healthz`).toBe(200);
  }

  describe('hub hank', () => {
    it.each(hubCases.map((c) => [c.name, c]))('%s', async (_name, c) => {
      const response = await send(c);
      expect(response.status, response.text.slice(0, 500)).toBe(c.status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.body).toEqual({
        statusCode: c.status,
        error: expect.any(String),
        code: c.code ?? expect.any(String),
        message: expect.any(String),
        ...(response.body && 'details' in response.body ? { details: expect.any(Array) } : {}),
      });
      if (c.message) expect(response.body.message).toMatch(c.message);
      await expectHealthy(c);
    });
  });

  describe('client carol', () => {
    it.each(clientCases.map((c) => [c.name, c]))('%s', async (_name, c) => {
      const response = await send(c);
      expect(response.status, response.text.slice(0, 500)).toBe(c.status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      if (c.path.startsWith('/etsi/')) {
        // ETSI 014 Error: {message, details: [objects]}, nothing else.
        expect(Object.keys(response.body).sort()).toEqual(['details', 'message']);
        expect(response.body.message).toEqual(expect.any(String));
        expect(Array.isArray(response.body.details)).toBe(true);
        for (const d of response.body.details as unknown[]) expect(d).toEqual(expect.any(Object));
        if (typeof c.message === 'string') expect(response.body.message).toBe(c.message);
      } else {
        expect(response.body).toMatchObject({ statusCode: c.status, error: expect.any(String), code: c.code ?? expect.any(String), message: expect.any(String) });
        if (c.message) expect(response.body.message).toMatch(c.message);
      }
      await expectHealthy(c);
    });
  });

  it('HEAD makes no key and delivers none: 405 with Allow, no PSRD spent, no share stored, and the key is still there for its GET', async () => {
    const caller = new EtsiCaller(topology);
    const pools = async () => {
      const status = await httpJson<{ peer_hubs: Array<{ local_pool: { blocks: Array<{ nr_unused_bytes: number }> } }> }>('GET', `${topology.clientUrl('carol')}/mgmt/v1/status`);
      return status.body.peer_hubs.map((h) => h.local_pool.blocks.reduce((n, b) => n + b.nr_unused_bytes, 0));
    };
    const shares = async () => (await httpJson<{ shares: unknown[] }>('GET', `${topology.hubUrl('hank')}/mgmt/v1/status`)).body.shares.length;
    const before = { pools: await pools(), shares: await shares() };
    const head = await fetch(`${topology.clientUrl('carol')}/etsi/api/v1/keys/sunny/enc_keys`, { method: 'HEAD', headers: SAM });
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET, POST');
    expect({ pools: await pools(), shares: await shares() }).toEqual(before);

    const made = await caller.getKey('carol', 'sam', 'sunny');
    expect(made.status).toBe(200);
    const id = made.body.keys[0].key_ID;
    const headDec = await fetch(`${topology.clientUrl('curtis')}/etsi/api/v1/keys/sam/dec_keys?key_ID=${id}`, { method: 'HEAD', headers: { authorization: 'Bearer sunny' } });
    expect(headDec.status).toBe(405);
    const fetched = await caller.getKeyWithIds('curtis', 'sam', 'sunny', id);
    expect(fetched.status).toBe(200);
    expect(fetched.body.keys[0].key).toBe(made.body.keys[0].key);
    // HEAD on a hub's or a node's other paths too, also health.
    for (const url of [`${topology.hubUrl('hank')}/mgmt/v1/status`, `http://127.0.0.1:${topology.hub('hank').port}/readyz`, `${topology.hubUrl('hank')}/dske/oob/v1/psrd?client_name=probe&pool_owner=hub&size=10`]) {
      expect((await fetch(url, { method: 'HEAD' })).status, url).toBe(405);
    }
  });

  it('every path and method of each node\'s OpenAPI document, and no other method, is answered: the 405 check agrees with the document', async () => {
    for (const root of [topology.hubUrl('hank'), topology.clientUrl('carol')]) {
      const origin = new URL(root).origin;
      const doc = await httpJson<{ paths: Record<string, Record<string, unknown>> }>('GET', `${origin}/openapi.json`);
      expect(doc.status).toBe(200);
      const paths = Object.entries(doc.body.paths);
      expect(paths.length).toBeGreaterThan(8);
      for (const [template, operations] of paths) {
        const path = template.replace(/\{[^}]+\}/g, 'x');
        const documented = Object.keys(operations).map((m) => m.toUpperCase()).sort();
        const refused = await httpJson('DELETE', `${origin}${path}`);
        expect(refused.status, `DELETE ${path}`).toBe(405);
        expect(refused.headers.get('allow'), path).toBe(documented.join(', '));
        // (Not the stop endpoint: it would stop the node.)
        if (path.endsWith('/mgmt/v1/stop')) continue;
        for (const method of documented) expect((await httpJson(method, `${origin}${path}`)).status, `${method} ${path}`).not.toBe(405);
      }
    }
  });

  it('both nodes still do their job afterwards', async () => {
    const caller = new EtsiCaller(topology);
    const made = await caller.getKey('carol', 'sam', 'sunny');
    expect(made.status, made.text).toBe(200);
    const fetched = await caller.getKeyWithIds('curtis', 'sam', 'sunny', made.body.keys[0].key_ID);
    expect(fetched.status, fetched.text).toBe(200);
    expect(fetched.body.keys[0].key).toBe(made.body.keys[0].key);
    for (const node of [...topology.hubs.values(), ...topology.clients.values()]) {
      expect(node.child.exitCode, node.name).toBeNull();
      expect(node.log()).not.toMatch(/Internal Server Error|internal error/);
    }
  });
});
