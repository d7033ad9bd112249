/**
 * `etsi-qkd MASTER SLAVE ...`: the ETSI GS QKD 014 calls an encryptor (SAE)
 * would make, sent to the right client (KME) with the SAE's identity (lab
 * mode: `Authorization: Bearer <SAE ID>`). Get Key and Status go to the
 * master SAE's client; Get Key with Key IDs goes to the slave SAE's client.
 */
import type { ClientPlan } from '@dske/topology';
import type { ManagerContext } from '../context';
import { ManagerError } from '../errors';
import { HttpFailure, httpRequest, type HttpAnswer } from '../http';
import { nodeBaseUrl } from '../node-urls';
import { etsiHeader, prettyBody, type EtsiCall } from '../output';

export type EtsiOperation =
  | { op: 'get-key'; size?: number }
  | { op: 'get-key-with-key-ids'; keyId: string }
  | { op: 'get-key-pair'; size?: number }
  | { op: 'get-status' };

interface Pair {
  master: string;
  slave: string;
  masterClient: ClientPlan;
  slaveClient: ClientPlan;
}

interface Key {
  key_ID: string;
  key: string;
}

export async function etsiCommand(ctx: ManagerContext, master: string, slave: string, operation: EtsiOperation): Promise<void> {
  const pair: Pair = { master, slave, masterClient: clientOf(ctx, master), slaveClient: clientOf(ctx, slave) };
  switch (operation.op) {
    case 'get-key':
      await getKey(ctx, pair, operation.size);
      return;
    case 'get-key-with-key-ids':
      await getKeyWithKeyIds(ctx, pair, operation.keyId);
      return;
    case 'get-status':
      await call(ctx, { api: 'Status', client: pair.masterClient, master, slave }, `${encodeURIComponent(slave)}/status`, master);
      return;
    case 'get-key-pair':
      await getKeyPair(ctx, pair, operation.size);
      return;
  }
}

function clientOf(ctx: ManagerContext, sae: string): ClientPlan {
  const client = ctx.topology.clientForEncryptor(sae);
  if (client === undefined) throw new ManagerError(`unknown encryptor (SAE) '${sae}' (not in ${ctx.configName})`);
  return client;
}

function getKey(ctx: ManagerContext, pair: Pair, size: number | undefined): Promise<HttpAnswer> {
  const query = size === undefined ? '' : `?size=${size}`;
  return call(ctx, { api: 'Get Key', client: pair.masterClient, master: pair.master, slave: pair.slave }, `${encodeURIComponent(pair.slave)}/enc_keys${query}`, pair.master);
}

function getKeyWithKeyIds(ctx: ManagerContext, pair: Pair, keyId: string): Promise<HttpAnswer> {
  const etsi: EtsiCall = { api: 'Get Key with Key IDs', client: pair.slaveClient, master: pair.master, slave: pair.slave };
  return call(ctx, etsi, `${encodeURIComponent(pair.master)}/dec_keys?key_ID=${encodeURIComponent(keyId)}`, pair.slave);
}

async function getKeyPair(ctx: ManagerContext, pair: Pair, size: number | undefined): Promise<void> {
  const made = firstKey(await getKey(ctx, pair, size), 'Get Key');
  const fetched = firstKey(await getKeyWithKeyIds(ctx, pair, made.key_ID), 'Get Key with Key IDs');
  if (fetched.key_ID === made.key_ID && fetched.key === made.key) {
    ctx.io.out('Key values match');
    return;
  }
  ctx.io.out('Key values do not match');
  throw new ManagerError(`the slave's key ${fetched.key_ID} differs from the master's key ${made.key_ID}`);
}

/** Prints the header and the answer; anything but 200 is a failure. */
async function call(ctx: ManagerContext, etsi: EtsiCall, path: string, bearer: string): Promise<HttpAnswer> {
  ctx.io.out(etsiHeader(etsi));
  const url = `${nodeBaseUrl(etsi.client)}/etsi/api/v1/keys/${path}`;
  let answer: HttpAnswer;
  try {
    answer = await httpRequest('GET', url, { headers: { authorization: `Bearer ${bearer}` }, timeoutMs: ctx.timings.requestMs });
  } catch (error) {
    if (!(error instanceof HttpFailure)) throw error;
    throw new ManagerError(`client (KME) ${etsi.client.name} on port ${etsi.client.port} did not answer: ${error.reason}`);
  }
  ctx.io.out(prettyBody(answer.text, answer.json));
  if (answer.status !== 200) throw new ManagerError(`ETSI QKD API returned status ${answer.status}`);
  return answer;
}

/**
 * The first key of a key container. ETSI 014 makes `keys` an array; the
 * reference implementation's single object is accepted too.
 */
function firstKey(answer: HttpAnswer, api: string): Key {
  const keys = (answer.json as { keys?: unknown } | undefined)?.keys;
  const key = (Array.isArray(keys) ? keys[0] : keys) as Partial<Key> | undefined;
  if (typeof key?.key_ID !== 'string' || typeof key.key !== 'string') throw new ManagerError(`the ${api} answer holds no key`);
  return { key_ID: key.key_ID, key: key.key };
}
