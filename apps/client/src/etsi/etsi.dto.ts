import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsObject, IsOptional, IsString, IsUUID, Matches, ValidateIf, ValidateNested } from 'class-validator';
import { NAME_PATTERN } from '@dske/topology/nodes';
import type { EtsiError, EtsiKey, EtsiKeyContainer, EtsiKeyIds, EtsiKeyRequest, EtsiStatus } from '@dske/core';
import { ETSI_LIMITS } from './etsi-limits';

const SAE = NAME_PATTERN;
const UUID_EXAMPLE = '4b700076-9691-4935-9e9b-707c1425fd29';
const INT = /^(0|[1-9][0-9]{0,8})$/;
/** Optional, but `null` is not an integer (IsOptional would let it through as absent). */
const unlessAbsent = ValidateIf((_object: unknown, value: unknown) => value !== undefined);

export class SlaveSaeParamDto {
  @ApiProperty({ example: 'sunny', description: 'SAE ID of the slave encryptor' })
  @Matches(SAE, { message: 'slave_SAE_ID is not a valid SAE ID' })
  slave_SAE_ID!: string;
}

export class MasterSaeParamDto {
  @ApiProperty({ example: 'sam', description: 'SAE ID of the master encryptor' })
  @Matches(SAE, { message: 'master_SAE_ID is not a valid SAE ID' })
  master_SAE_ID!: string;
}

export class EncKeysQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: ETSI_LIMITS.maxKeyPerRequest, default: 1, description: 'Number of keys' })
  @IsOptional() @Matches(INT, { message: 'number shall be a non-negative integer' })
  number?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: ETSI_LIMITS.minKeySizeBits, maximum: ETSI_LIMITS.maxKeySizeBits, default: ETSI_LIMITS.defaultKeySizeBits, description: 'Key size in bits (a multiple of 8)' })
  @IsOptional() @Matches(INT, { message: 'size shall be a non-negative integer' })
  size?: string;
}

export class DecKeysQueryDto {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE })
  @IsUUID('all', { message: 'key_ID shall be a UUID' })
  key_ID!: string;
}

export class KeyRequestDto implements EtsiKeyRequest {
  @ApiPropertyOptional({ minimum: 1, maximum: ETSI_LIMITS.maxKeyPerRequest, default: 1, example: 1 })
  @unlessAbsent @IsInt({ message: 'number shall be an integer' })
  number?: number;

  @ApiPropertyOptional({ minimum: ETSI_LIMITS.minKeySizeBits, maximum: ETSI_LIMITS.maxKeySizeBits, default: ETSI_LIMITS.defaultKeySizeBits, example: 256 })
  @unlessAbsent @IsInt({ message: 'size shall be an integer' })
  size?: number;

  @ApiPropertyOptional({ type: [String], example: [], description: `Not supported: max_SAE_ID_count is ${ETSI_LIMITS.maxSaeIdCount}` })
  @IsOptional() @IsArray() @ArrayMaxSize(16) @IsString({ each: true })
  additional_slave_SAE_IDs?: string[];

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, example: [] })
  @IsOptional() @IsArray() @IsObject({ each: true })
  extension_mandatory?: Record<string, unknown>[];

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, example: [] })
  @IsOptional() @IsArray() @IsObject({ each: true })
  extension_optional?: Record<string, unknown>[];
}

export class KeyIdDto {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE })
  @IsUUID('all', { message: 'key_ID shall be a UUID' })
  key_ID!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional() @IsObject()
  key_ID_extension?: Record<string, unknown>;
}

export class KeyIdsDto implements EtsiKeyIds {
  @ApiProperty({ type: [KeyIdDto] })
  // Listed in reverse: class-validator reports the last decorator first, and a missing list must say so.
  @ValidateNested({ each: true }) @Type(() => KeyIdDto) @ArrayMaxSize(ETSI_LIMITS.maxKeyPerRequest) @ArrayMinSize(1) @IsArray()
  key_IDs!: KeyIdDto[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional() @IsObject()
  key_IDs_extension?: Record<string, unknown>;
}

export class KeyDto implements EtsiKey {
  @ApiProperty({ format: 'uuid', example: UUID_EXAMPLE }) key_ID!: string;
  @ApiProperty({ format: 'byte', example: 'JmaqM91DsWC/qlawABoVOw==', description: 'Key, base64' }) key!: string;
}

export class KeyContainerDto implements EtsiKeyContainer {
  @ApiProperty({ type: [KeyDto] }) keys!: KeyDto[];
}

export class StatusDto implements EtsiStatus {
  @ApiProperty({ example: 'carol', description: 'This KME (DSKE client)' }) source_KME_ID!: string;
  @ApiProperty({ example: 'curtis', description: 'The KME (DSKE client) that serves the slave SAE; empty when no hub knows it yet' }) target_KME_ID!: string;
  @ApiProperty({ example: 'sam' }) master_SAE_ID!: string;
  @ApiProperty({ example: 'sunny' }) slave_SAE_ID!: string;
  @ApiProperty({ example: 128, description: 'Default key size in bits (when get key names no size)' }) key_size!: number;
  @ApiProperty({
    example: 15,
    description: 'Keys of key_size this KME can deliver right now without asking hubs for more PSRD: the k-th largest, over registered hubs that answered their last call, of (unused local PSRD) / (key bytes + 32 signature bytes)',
  })
  stored_key_count!: number;
  @ApiProperty({
    example: 62,
    description:
      'The same count with every pool as full as the thresholds make it (stop_request_psrd_threshold plus one get_psrd_block_size, less one byte); never below stored_key_count, which is higher while a stream of large requests keeps more PSRD in stock',
  })
  max_key_count!: number;
  @ApiProperty({ example: ETSI_LIMITS.maxKeyPerRequest }) max_key_per_request!: number;
  @ApiProperty({ example: ETSI_LIMITS.maxKeySizeBits }) max_key_size!: number;
  @ApiProperty({ example: ETSI_LIMITS.minKeySizeBits }) min_key_size!: number;
  @ApiProperty({ example: ETSI_LIMITS.maxSaeIdCount }) max_SAE_ID_count!: number;
}

export class EtsiErrorDto implements EtsiError {
  @ApiProperty({ example: 'size shall be a multiple of 8' }) message!: string;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object', additionalProperties: true }, example: [{ hub_name: 'hank', reason: 'hub hank unreachable' }] })
  details?: Record<string, unknown>[];
}
