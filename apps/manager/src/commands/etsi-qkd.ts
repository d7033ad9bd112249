/**
 * `etsi-qkd MASTER SLAVE ...`: the ETSI GS QKD 014 calls an encryptor (SAE)
 * would make, sent to the right client (KME) with the SAE's identity: in lab
 * mode `Authorization: Bearer <SAE ID>` over HTTP; with tls_dir, mutual TLS
 * with the SAE's certificate (sae-<SAE>.crt/.key) and no Authorization
 * header. Get Key and Status go to the master SAE's client; Get Key with Key
 * IDs goes to the slave SAE's client.
 */
import type { ClientPlan } from '@dske/topology';
import type { ManagerContext } from '../context';
import { ManagerError } from '../errors';
import { HttpFailure, httpRequest, type HttpAnswer } from '../http';
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
      // Both encryptors' certificates (with tls_dir) before the first call, so a missing one costs no key.
      ctx.endpoints.tlsFor(pair.slaveClient, slave);
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

/** Prints the header and the answer; anything but 200 is a failure. `caller` is the SAE making the call. */
async function call(ctx: ManagerContext, etsi: EtsiCall, path: string, caller: string): Promise<HttpAnswer> {
  const { endpoints } = ctx;
  // Read before the header: a missing certificate is the failure, not the call.
  const tls = endpoints.tlsFor(etsi.client, caller);
  ctx.io.out(etsiHeader(etsi));
  // The standard's path (ETSI GS QKD 014 section 5), at the client's own root.
  const url = `${endpoints.of(etsi.client).root}/api/v1/keys/${path}`;
  const headers: Record<string, string> = tls === undefined ? { authorization: `Bearer ${caller}` } : {};
  let answer: HttpAnswer;
  try {
    answer = await httpRequest('GET', url, { headers, tls, timeoutMs: ctx.timings.requestMs });
  } catch (error) {
    if (!(error instanceof HttpFailure)) throw error;
    throw new ManagerError(`client (KME) ${etsi.client.name} ${endpoints.where(etsi.client)} did not answer: ${error.reason}`);
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
