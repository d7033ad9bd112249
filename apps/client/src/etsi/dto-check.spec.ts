import { describe, expect, it } from 'vitest';
import { dtoCheckCounterexample } from '@dske/service-runtime/testing';
import { DecKeysQueryDto, EncKeysQueryDto, KeyIdsDto, KeyRequestDto, MasterSaeParamDto, SlaveSaeParamDto } from './etsi.dto';

const UUID = '4b700076-9691-4935-9e9b-707c1425fd29';

// ETSI requests pass the compiled check (the fast path) only when class-validator passes them.
describe('ETSI DTOs: the compiled check never passes what class-validator refuses', () => {
  it.each(
    (
      [
    [EncKeysQueryDto, 'query', [{}, { number: '2', size: '256' }, { size: '128' }]],
    [DecKeysQueryDto, 'query', [{ key_ID: UUID }]],
    [SlaveSaeParamDto, 'param', [{ slave_SAE_ID: 'sunny' }]],
    [MasterSaeParamDto, 'param', [{ master_SAE_ID: 'sam' }]],
    [KeyRequestDto, 'body', [{}, { number: 3, size: 512, additional_slave_SAE_IDs: [], extension_mandatory: [{ a: 1 }], extension_optional: [] }]],
    [KeyIdsDto, 'body', [{ key_IDs: [{ key_ID: UUID }, { key_ID: UUID.toUpperCase(), key_ID_extension: { x: [1] } }] }, { key_IDs: [{ key_ID: UUID }], key_IDs_extension: {} }]],
      ] as const
    ).map(([dto, type, examples]) => [dto.name, dto, type, examples] as const),
  )('%s', async (_name, dto, type, examples) => {
    expect(await dtoCheckCounterexample(dto, examples, type)).toBeUndefined();
  });
});
