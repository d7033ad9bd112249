import { HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { NodeLifecycle } from './node-lifecycle';
import { NoBodyGuard, NoQueryParams } from './no-query';
import { StopResponseDto } from './status.dto';

/** The mgmt endpoints every node kind has; hub and client add their own status. */
export abstract class MgmtControllerBase {
  protected constructor(protected readonly lifecycle: NodeLifecycle) {}

  @Post('stop')
  @NoQueryParams()
  @UseGuards(NoBodyGuard)
  @HttpCode(200)
  @ApiOperation({ summary: 'Answer, then stop this node cleanly' })
  @ApiOkResponse({ type: StopResponseDto })
  stop(): StopResponseDto {
    this.lifecycle.stopSoon('stop requested through mgmt API');
    return { status: 'stopping' };
  }
}
