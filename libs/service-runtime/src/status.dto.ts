import { ApiProperty } from '@nestjs/swagger';
import type { BlockStatus, PoolStatus } from '@dske/core';

/** Swagger shapes of the mgmt status pieces both node kinds report. */
export class BlockStatusDto implements BlockStatus {
  @ApiProperty({ format: 'uuid' }) uuid!: string;
  @ApiProperty({ example: 1000 }) size!: number;
  @ApiProperty({ required: false, example: 'AAAAAAAAAAAAAA==...', description: 'Lab-mode preview of the first bytes (absent when PSRD is hidden)' }) data?: string;
  @ApiProperty({ example: 32 }) nr_used_bytes!: number;
  @ApiProperty({ example: 968 }) nr_unused_bytes!: number;
}

export class PoolStatusDto implements PoolStatus {
  @ApiProperty({ type: [BlockStatusDto] }) blocks!: BlockStatusDto[];
  @ApiProperty({ enum: ['local', 'peer'], description: 'local: this node allocates from it; peer: the other side does' }) owner!: 'local' | 'peer';
}

export class StopResponseDto {
  @ApiProperty({ example: 'stopping' }) status!: string;
}
