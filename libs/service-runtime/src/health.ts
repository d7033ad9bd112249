import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ApiError } from './api-error';
import { notReadyReason, type Readiness } from './health-listener';
import { NodeLifecycle } from './node-lifecycle';

export const READINESS = Symbol('READINESS');
export type { Readiness } from './health-listener';

export class HealthDto {
  @ApiProperty({ example: 'ok', enum: ['ok'] })
  status!: 'ok';
}

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS) private readonly readiness: Readiness,
    private readonly lifecycle: NodeLifecycle,
  ) {}

  @Get('healthz')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process is serving HTTP' })
  @ApiOkResponse({ type: HealthDto })
  healthz(): HealthDto {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: the node can do its job (a client: registered with enough hubs and holding PSRD)' })
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ description: 'Not ready yet, or stopping; the message says why' })
  readyz(): HealthDto {
    const reason = notReadyReason(this.lifecycle, this.readiness);
    if (reason !== undefined) throw new ApiError(503, 'not-ready', reason);
    return { status: 'ok' };
  }
}
