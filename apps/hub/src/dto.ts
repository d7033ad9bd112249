import { ApiProperty, IntersectionType, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsObject, IsBase64, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested, ArrayMinSize,
} from 'class-validator';
import type {
  AllocationWire, GetKeyShareQuery, GetKeyShareResponse, PostKeyShareRequest, PostKeyShareResponse, PsrdConfirmationRequest, PsrdResponse, RegistrationRequest, RegistrationResponse,
} from '@dske/core';
import { MAX_PSRD_BLOCK_SIZE, NAME_PATTERN } from '@dske/topology/nodes';

const NAME = NAME_PATTERN;
const NAME_MESSAGE = '$property must be a lower-case DNS label';
/** Shares are at most the largest key a client hands out (128 KiB) as base64. */
const MAX_SHARE_BASE64 = 180_000;
const UUID_EXAMPLE = '4b700076-9691-4935-9e9b-707c1425fd29';

export class RegistrationDto implements RegistrationRequest {
  @ApiProperty({ example: 'carol', pattern: NAME.source })
  @IsString() @Matches(NAME, { message: NAME_MESSAGE })
  client_name!: string;

  @ApiProperty({ example: ['sam'], type: [String], description: 'SAE IDs of the encryptors attached to the client' })
  @IsArray() @ArrayMaxSize(256) @ArrayUnique({ message: 'encryptor_names must not repeat' }) @IsString({ each: true }) @Matches(NAME, { each: true, message: 'each value in $property must be a lower-case DNS label' })
  encryptor_names!: string[];

  @ApiProperty({ required: false, description: 'true: the client confirms each hub-owned PSRD block it receives (psrd-confirmation), and the hub allocates only from confirmed blocks' })
  @IsOptional() @IsBoolean()
  psrd_confirmation?: boolean;
}

export class PsrdConfirmationDto implements PsrdConfirmationRequest {
  @ApiProperty({ example: 'carol', pattern: NAME.source })
  @IsString() @Matches(NAME, { message: NAME_MESSAGE })
  client_name!: string;

  @ApiProperty({ type: [String], format: 'uuid', description: 'Hub-owned blocks the client holds (from GET psrd with pool_owner=hub)' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(64) @IsUUID('all', { each: true })
  block_uuids!: string[];
}

export class PsrdConfirmationResponseDto {
  @ApiProperty({ type: [String], format: 'uuid', description: 'The named blocks that were waiting and can now be used' })
  confirmed!: string[];
}

export class RegistrationResponseDto implements RegistrationResponse {
  @ApiProperty({ example: 'hank' })
  hub_name!: string;

  @ApiProperty({ format: 'uuid', description: 'New at every registration; the directory lists it, so the client can tell whether its name was registered afresh' })
  registration_id!: string;

  @ApiProperty({ description: 'true: acknowledgements may ride on the next key-share message (acknowledged_key_ids) instead of POST key-share-acks' })
  acks_in_requests!: boolean;
}

export class PsrdQueryDto {
  @ApiProperty({ example: 'carol' })
  @IsString() @Matches(NAME, { message: NAME_MESSAGE })
  client_name!: string;

  @ApiProperty({ enum: ['client', 'hub'], example: 'client', description: 'Who allocates from the pool this block joins' })
  @IsIn(['client', 'hub'])
  pool_owner!: 'client' | 'hub';

  @ApiProperty({ minimum: 1, maximum: MAX_PSRD_BLOCK_SIZE, example: 1000, description: 'Block size in bytes' })
  // Plain decimal digits only: Number() would also take '1e3', '0x10' or ' 10'.
  @Transform(({ value }) => (typeof value === 'string' && /^[0-9]{1,10}$/.test(value) ? Number(value) : NaN))
  @IsInt({ message: 'size must be a decimal integer' }) @Min(1) @Max(MAX_PSRD_BLOCK_SIZE)
  size!: number;
}

export class PsrdResponseDto implements PsrdResponse {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE })
  block_uuid!: string;

  @ApiProperty({ format: 'byte', description: 'The block, base64', example: 'q83vEjRWeJA=' })
  data!: string;
}

export class FragmentDto {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE })
  @IsUUID('all')
  block_uuid!: string;

  @ApiProperty({ minimum: 0, example: 0 })
  @IsInt() @Min(0) @Max(MAX_PSRD_BLOCK_SIZE)
  start!: number;

  @ApiProperty({ minimum: 1, example: 32 })
  @IsInt() @Min(1) @Max(MAX_PSRD_BLOCK_SIZE)
  size!: number;
}

export class AllocationDto implements AllocationWire {
  @ApiProperty({ type: [FragmentDto] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1024) @ValidateNested({ each: true }) @Type(() => FragmentDto)
  fragments!: FragmentDto[];
}

export class PostKeyShareResponseDto implements PostKeyShareResponse {
  @ApiProperty({ example: 'hank' })
  hub_name!: string;

  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE })
  user_key_id!: string;
}

export class ErrorDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ example: 'client.unknown' }) code!: string;
  @ApiProperty({ example: 'client carol is not registered with this hub' }) message!: string;
}

export class DirectoryEntryDto {
  @ApiProperty({ example: 'carol' }) client_name!: string;
  @ApiProperty({ type: [String], example: ['sam'] }) encryptor_names!: string[];
  @ApiProperty({ format: 'uuid', description: 'The current registration of this client (see the registration answer)' }) registration_id!: string;
}

export class DirectoryDto {
  @ApiProperty({ type: [DirectoryEntryDto], description: 'Registered clients and the encryptors (SAEs) they serve' })
  clients!: DirectoryEntryDto[];
}

/** Batches: one message per hub carries the shares of many keys (ETSI number > 1). */
export const MAX_BATCH = 128;

export class BatchShareDto {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE })
  @IsUUID('all')
  user_key_id!: string;

  @ApiProperty({ minimum: 0, maximum: 15, example: 0 })
  @IsInt() @Min(0) @Max(15)
  share_index!: number;

  @ApiProperty({ type: AllocationDto })
  @IsObject() @ValidateNested() @Type(() => AllocationDto)
  encryption_key_allocation!: AllocationDto;

  @ApiProperty({ format: 'byte', example: 'JmaqM91DsWC/qlawABoVOw==' })
  @IsString() @IsNotEmpty() @MaxLength(MAX_SHARE_BASE64) @IsBase64()
  encrypted_share_value!: string;
}

/** The SAE pair a share belongs to, in every in-band message. */
export class SaePairDto {
  @ApiProperty({ example: 'sam' })
  @IsString() @Matches(NAME, { message: NAME_MESSAGE })
  master_sae_id!: string;

  @ApiProperty({ example: 'sunny' })
  @IsString() @Matches(NAME, { message: NAME_MESSAGE })
  slave_sae_id!: string;
}

const ACKS_DESCRIPTION = `Keys this client recovered since its last message to this hub (at most ${MAX_BATCH}): their shares here go, as with key-share-acks, without a message of their own (the registration answer says acks_in_requests)`;
const UUID_LIST = /^[0-9a-fA-F-]{36}(,[0-9a-fA-F-]{36}){0,127}$/;

/** A message from the initiating client. */
export class ShareSenderDto extends SaePairDto {
  @ApiProperty({ example: 'carol' })
  @IsString() @Matches(NAME, { message: NAME_MESSAGE })
  master_client_name!: string;

  @ApiProperty({ required: false, type: [String], format: 'uuid', maxItems: MAX_BATCH, description: ACKS_DESCRIPTION })
  @IsOptional() @IsArray() @ArrayMaxSize(MAX_BATCH) @IsUUID('all', { each: true })
  acknowledged_key_ids?: string[];
}

/** A request from the responder's client. */
export class ShareFetcherDto extends SaePairDto {
  @ApiProperty({ example: 'curtis', description: 'The client asking (it must serve slave_sae_id)' })
  @IsString() @Matches(NAME, { message: NAME_MESSAGE })
  client_name!: string;

  @ApiProperty({ required: false, example: UUID_EXAMPLE, description: `Comma-separated. ${ACKS_DESCRIPTION}` })
  @IsOptional() @Matches(UUID_LIST, { message: 'acknowledged_key_ids must be comma-separated UUIDs' })
  acknowledged_key_ids?: string;
}

export class PostKeyShareDto extends IntersectionType(ShareSenderDto, BatchShareDto) implements PostKeyShareRequest {}

export class PostKeySharesDto extends ShareSenderDto {
  @ApiProperty({ type: [BatchShareDto], minItems: 1, maxItems: MAX_BATCH })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_BATCH) @ValidateNested({ each: true }) @Type(() => BatchShareDto)
  shares!: BatchShareDto[];
}

export class PostKeySharesResponseDto {
  @ApiProperty({ example: 'hank' }) hub_name!: string;
  @ApiProperty({ type: [String], example: [UUID_EXAMPLE] }) user_key_ids!: string[];
}

export class GetKeyShareQueryDto extends ShareFetcherDto implements GetKeyShareQuery {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE })
  @IsUUID('all')
  key_id!: string;
}

export class GetKeySharesQueryDto extends ShareFetcherDto {
  @ApiProperty({ example: `${UUID_EXAMPLE},0f0e3a4c-1b7e-4c55-9a55-8f5e3a7b2c11`, description: `Comma-separated key IDs (at most ${MAX_BATCH})` })
  @Matches(UUID_LIST, { message: 'key_ids must be comma-separated UUIDs' })
  key_ids!: string;
}

export class KeyShareAcksDto {
  @ApiProperty({ example: 'curtis', pattern: NAME.source })
  @IsString() @Matches(NAME, { message: NAME_MESSAGE })
  client_name!: string;

  @ApiProperty({ type: [String], format: 'uuid', description: `Keys this client recovered (at most ${MAX_BATCH}): their shares here go` })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_BATCH) @IsUUID('all', { each: true })
  key_ids!: string[];
}

export class KeyShareAcksResponseDto {
  @ApiProperty({ description: 'How many of the named shares were held here for this client and are now deleted' }) removed!: number;
}

export class GetKeyShareResponseDto extends OmitType(BatchShareDto, ['user_key_id'] as const) implements GetKeyShareResponse {}

export class GetKeySharesResponseDto {
  @ApiProperty({ type: [BatchShareDto] }) shares!: BatchShareDto[];
}
