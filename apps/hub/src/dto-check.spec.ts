import { describe, expect, it } from 'vitest';
import { compileDtoCheck } from '@dske/service-runtime';
import { dtoCheckCounterexample } from '@dske/service-runtime/testing';
import { GetKeyShareQueryDto, GetKeySharesQueryDto, KeyShareAcksDto, PostKeyShareDto, PostKeySharesDto, PsrdConfirmationDto, PsrdQueryDto, RegistrationDto } from './dto';

const UUID = '4b700076-9691-4935-9e9b-707c1425fd29';
const OTHER = '0f0e3a4c-1b7e-4c55-9a55-8f5e3a7b2c11';
const share = { user_key_id: UUID, share_index: 2, encryption_key_allocation: { fragments: [{ block_uuid: OTHER, start: 0, size: 32 }, { block_uuid: UUID, start: 968, size: 1 }] }, encrypted_share_value: 'JmaqM91DsWC/qlawABoVOw==' };
const pair = { master_sae_id: 'sam', slave_sae_id: 'sunny' };

// The hub's messages pass the compiled check (the fast path) exactly when class-validator passes them.
describe('hub DTOs: the compiled check never passes what class-validator refuses', () => {
  it.each(
    (
      [
    [PostKeySharesDto, 'body', [{ master_client_name: 'carol', ...pair, shares: [share, { ...share, user_key_id: OTHER, share_index: 0 }] }]],
    [PostKeyShareDto, 'body', [{ master_client_name: 'carol', ...pair, ...share }]],
    [GetKeySharesQueryDto, 'query', [{ client_name: 'curtis', ...pair, key_ids: `${UUID},${OTHER.toUpperCase()}` }, { client_name: 'c', ...pair, key_ids: UUID }]],
    [GetKeyShareQueryDto, 'query', [{ client_name: 'curtis', ...pair, key_id: UUID }]],
    [KeyShareAcksDto, 'body', [{ client_name: 'curtis', key_ids: [UUID, OTHER] }]],
    [RegistrationDto, 'body', [{ client_name: 'carol', encryptor_names: ['sam', 'sue'] }, { client_name: 'carol', encryptor_names: [], psrd_confirmation: true }]],
    [PsrdConfirmationDto, 'body', [{ client_name: 'carol', block_uuids: [UUID] }]],
    [PsrdQueryDto, 'query', [{ client_name: 'carol', pool_owner: 'client', size: '1000' }, { client_name: 'c', pool_owner: 'hub', size: '1048576' }]],
      ] as const
    ).map(([dto, type, examples]) => [dto.name, dto, type, examples] as const),
  )('%s', async (_name, dto, type, examples) => {
    expect(await dtoCheckCounterexample(dto, examples, type)).toBeUndefined();
  });

  it('converts the PSRD query\'s size as class-transformer does', () => {
    expect(compileDtoCheck(PsrdQueryDto)!({ client_name: 'carol', pool_owner: 'hub', size: '2000' })).toEqual({ client_name: 'carol', pool_owner: 'hub', size: 2000 });
    expect(compileDtoCheck(PsrdQueryDto)!({ client_name: 'carol', pool_owner: 'hub', size: '1e3' })).toBeUndefined();
  });
});
