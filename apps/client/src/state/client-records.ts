import { registrationKey } from '@dske/node-state';

/**
 * How a client keeps its registration with each hub in its state store,
 * under node-state's registrationKey (PSRD blocks are node-state's pool
 * records, sides local and peer).
 */
export interface HubRegistrationRecord {
  hub_name: string;
  /** What the client registered as: a registration for other encryptors is not resumed. */
  encryptor_names: string[];
  registration_id?: string;
  generation: number;
  /** Hub-owned blocks held here whose confirmation has not reached the hub yet. */
  unconfirmed: string[];
  /** The hub reads acknowledgements carried in key-share messages. */
  acks_in_requests?: boolean;
}

export function encodeRegistration(record: HubRegistrationRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

export function decodeRegistration(key: string, bytes: Buffer): HubRegistrationRecord {
  const r = JSON.parse(bytes.toString('utf8')) as Partial<HubRegistrationRecord>;
  const names = (v: unknown) => Array.isArray(v) && v.every((n) => typeof n === 'string');
  const ok =
    typeof r.hub_name === 'string' &&
    key === registrationKey(r.hub_name) &&
    names(r.encryptor_names) &&
    (r.registration_id === undefined || typeof r.registration_id === 'string') &&
    Number.isSafeInteger(r.generation) &&
    names(r.unconfirmed) &&
    (r.acks_in_requests === undefined || typeof r.acks_in_requests === 'boolean');
  if (!ok) throw new Error(`record ${key} is not a hub registration`);
  return r as HubRegistrationRecord;
}
