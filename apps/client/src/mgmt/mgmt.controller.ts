import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { ClientStatus } from '@dske/core';
import { MgmtControllerBase, MgmtTokenGuard, NodeLifecycle, NoQueryParams, PoolStatusDto } from '@dske/service-runtime';
import { ClientMetrics, RECENT_ETSI_ERRORS } from '../metrics/client-metrics';
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

export class EtsiErrorRecordDto {
  @ApiProperty({ format: 'date-time' }) time!: string;
  @ApiProperty({ example: 'GET' }) method!: string;
  @ApiProperty({ example: '/etsi/api/v1/keys/:master_SAE_ID/dec_keys' }) route!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiProperty({ example: 'etsi.keys-not-found' }) code!: string;
  @ApiProperty({ example: 'one or more keys specified are not found on KME' }) message!: string;
}

export class ClientActivityDto {
  @ApiProperty({ example: 12, description: 'Keys made for this client\'s master SAEs since it started' }) keys_made!: number;
  @ApiProperty({ example: 20, description: 'Keys handed to SAEs (as master and as slave) since this client started' }) keys_delivered!: number;
  @ApiProperty({ example: 1, description: 'Get Key and Get Key with Key IDs requests refused or failed since this client started' }) key_requests_failed!: number;
  @ApiProperty({ type: [EtsiErrorRecordDto], description: `The latest ETSI errors, newest first (at most ${RECENT_ETSI_ERRORS})` }) recent_etsi_errors!: EtsiErrorRecordDto[];
}

export class ClientStatusDto implements ClientStatus {
  @ApiProperty({ example: 'carol' }) name!: string;
  @ApiProperty({ type: [String], example: ['sam'] }) encryptor_names!: string[];
  @ApiProperty({ type: ClientActivityDto, description: 'Counters since this client started (also at /metrics)' }) activity!: ClientActivityDto;
  @ApiProperty({ type: [PeerHubStatusDto] }) peer_hubs!: PeerHubStatusDto[];
}

@ApiTags('mgmt')
@ApiBearerAuth('mgmt')
@UseGuards(MgmtTokenGuard)
@Controller('mgmt/v1')
export class ClientMgmtController extends MgmtControllerBase {
  constructor(
    private readonly peers: PeerHubs,
    private readonly metrics: ClientMetrics,
    lifecycle: NodeLifecycle,
  ) {
    super(lifecycle);
  }

  @Get('status')
  @NoQueryParams()
  @ApiOperation({ summary: 'Operational status for debugging (lab use: it shows pool contents)' })
  @ApiOkResponse({ type: ClientStatusDto })
  async status(): Promise<ClientStatusDto> {
    const { name, encryptor_names, peer_hubs } = this.peers.status();
    return { name, encryptor_names, activity: await this.metrics.activity(), peer_hubs };
  }
}
