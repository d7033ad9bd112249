import { registrationKey } from '@dske/node-state';

/**
 * How a hub keeps its registrations in its state store, under node-state's
 * registrationKey (PSRD blocks are node-state's pool records, sides local,
 * peer and pending).
 */
export interface RegistrationRecord {
  client_name: string;
  encryptor_names: string[];
  psrd_confirmation: boolean;
  registration_id: string;
}

export function encodeRegistration(record: RegistrationRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

export function decodeRegistration(key: string, bytes: Buffer): RegistrationRecord {
  const record = JSON.parse(bytes.toString('utf8')) as Partial<RegistrationRecord>;
  const ok =
    typeof record.client_name === 'string' &&
    key === registrationKey(record.client_name) &&
    Array.isArray(record.encryptor_names) &&
    record.encryptor_names.every((n) => typeof n === 'string') &&
    typeof record.psrd_confirmation === 'boolean' &&
    typeof record.registration_id === 'string';
  if (!ok) throw new Error(`record ${key} is not a registration`);
  return record as RegistrationRecord;
}
