import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ApiError } from './api-error';
import { NodeLifecycle } from './node-lifecycle';

export const READINESS = Symbol('READINESS');

export interface Readiness {
  /** Undefined when ready, else why not (one line). */
  notReadyReason(): string | undefined;
}

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
    if (this.lifecycle.isStopping) throw new ApiError(503, 'not-ready', 'node is stopping');
    const reason = this.readiness.notReadyReason();
    if (reason) throw new ApiError(503, 'not-ready', reason);
    return { status: 'ok' };
  }
}
