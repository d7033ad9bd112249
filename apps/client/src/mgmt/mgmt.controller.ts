import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { ClientStatus } from '@dske/core';
import { MgmtControllerBase, MgmtTokenGuard, NodeLifecycle, NoQueryParams, PoolStatusDto } from '@dske/service-runtime';
import { PeerHubs } from '../peers/peer-hubs';

export class PeerHubStatusDto {
  @ApiProperty({ example: 'hank' }) hub_name!: string;
  @ApiProperty({ example: 'http://127.0.0.1:8100/hub/hank' }) hub_url!: string;
  @ApiProperty({ example: true }) registered!: boolean;
  @ApiProperty({ example: true, description: 'False after the last call to this hub got no answer (refused, reset or timed out), until a call gets one' })
  reachable!: boolean;
  @ApiProperty({ type: PoolStatusDto, description: 'Pool this client allocates from' }) local_pool!: PoolStatusDto;
  @ApiProperty({ type: PoolStatusDto, description: 'Pool the hub allocates from' }) peer_pool!: PoolStatusDto;
}

export class ClientStatusDto implements ClientStatus {
  @ApiProperty({ example: 'carol' }) name!: string;
  @ApiProperty({ type: [String], example: ['sam'] }) encryptor_names!: string[];
  @ApiProperty({ type: [PeerHubStatusDto] }) peer_hubs!: PeerHubStatusDto[];
}

@ApiTags('mgmt')
@ApiBearerAuth('mgmt')
@UseGuards(MgmtTokenGuard)
@Controller('mgmt/v1')
export class ClientMgmtController extends MgmtControllerBase {
  constructor(
    private readonly peers: PeerHubs,
    lifecycle: NodeLifecycle,
  ) {
    super(lifecycle);
  }

  @Get('status')
  @NoQueryParams()
  @ApiOperation({ summary: 'Operational status for debugging (lab use: it shows pool contents)' })
  @ApiOkResponse({ type: ClientStatusDto })
  status(): ClientStatusDto {
    return this.peers.status();
  }
}
