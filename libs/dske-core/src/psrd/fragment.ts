import { DskeError } from '../errors';

/** A run of bytes in one PSRD block, as it travels on the wire. */
export interface Fragment {
  block_uuid: string;
  start: number;
  size: number;
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DECIMAL = /^(0|[1-9][0-9]{0,9})$/;

/** Text form: `uuid:start:size`, fragments joined by `,`. */
export function fragmentsToText(fragments: readonly Fragment[]): string {
  return fragments.map((f) => `${f.block_uuid}:${f.start}:${f.size}`).join(',');
}

export function fragmentsFromText(text: string): Fragment[] {
  if (text.length === 0) throw new DskeError('allocation.malformed', 'allocation is empty');
  return text.split(',').map((part) => {
    const fields = part.split(':');
    if (fields.length !== 3) {
      throw new DskeError('allocation.malformed', `fragment '${part}' is not uuid:start:size`);
    }
    const [uuid, start, size] = fields;
    if (!UUID_PATTERN.test(uuid)) throw new DskeError('allocation.malformed', `'${uuid}' is not a block UUID`);
    if (!DECIMAL.test(start) || !DECIMAL.test(size)) {
      throw new DskeError('allocation.malformed', `fragment '${part}' has a non-decimal start or size`);
    }
    return { block_uuid: uuid.toLowerCase(), start: Number(start), size: Number(size) };
  });
}

/** Checks the wire shape of fragments received as JSON (values still untrusted). */
export function assertFragmentShape(value: unknown): asserts value is Fragment[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new DskeError('allocation.malformed', 'allocation needs at least one fragment');
  }
  for (const f of value) {
    if (typeof f !== 'object' || f === null) throw new DskeError('allocation.malformed', 'fragment is not an object');
    const { block_uuid, start, size } = f as Record<string, unknown>;
    if (typeof block_uuid !== 'string' || !UUID_PATTERN.test(block_uuid)) {
      throw new DskeError('allocation.malformed', 'fragment block_uuid is not a UUID');
    }
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(size)) {
      throw new DskeError('allocation.malformed', 'fragment start and size must be integers');
    }
  }
}
