import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { HubStatus } from '@dske/core';
import { MgmtControllerBase, MgmtTokenGuard, NodeLifecycle, NoQueryParams, PoolStatusDto } from '@dske/service-runtime';
import { HubMetrics } from '../metrics/hub-metrics';
import { HUB_CONFIG, HubConfig } from '../hub-config';
import { PeerClientRegistry } from '../peers/peer-client-registry';
import { SHARE_STORE, ShareStore } from '../shares/share-store';

export class PeerClientStatusDto {
  @ApiProperty({ example: 'carol' }) client_name!: string;
  @ApiProperty({ type: [String], example: ['sam'] }) encryptor_names!: string[];
  @ApiProperty({ type: PoolStatusDto, description: 'Pool the hub allocates from' }) local_pool!: PoolStatusDto;
  @ApiProperty({ type: PoolStatusDto, description: 'Pool the client allocates from' }) peer_pool!: PoolStatusDto;
}
export class ShareSummaryDto {
  @ApiProperty({ format: 'uuid', required: false, description: 'Lab mode only (PSRD previews shown): a deployment does not list pending key IDs' }) user_key_id?: string;
  @ApiProperty() master_client_name!: string;
  @ApiProperty() master_sae_id!: string;
  @ApiProperty() slave_sae_id!: string;
  @ApiProperty() share_index!: number;
  @ApiProperty({ description: 'Share length in bytes' }) size!: number;
}
export class HubActivityDto {
  @ApiProperty({ example: 2, description: 'Key shares held now, waiting for their responder or its acknowledgement' }) shares_held!: number;
  @ApiProperty({ example: 12, description: 'Key shares accepted from initiating clients since this hub started' }) shares_stored!: number;
  @ApiProperty({ example: 11, description: 'Key shares handed to responding clients since this hub started' }) shares_delivered!: number;
  @ApiProperty({ example: 1, description: 'Key shares that reached the share timeout before their key was acknowledged' }) shares_expired!: number;
}
export class HubStatusDto implements HubStatus {
  @ApiProperty({ example: 'hank' }) name!: string;
  @ApiProperty({ type: HubActivityDto, description: 'Counters since this hub started (also at /metrics)' }) activity!: HubActivityDto;
  @ApiProperty({ type: [PeerClientStatusDto] }) peer_clients!: PeerClientStatusDto[];
  @ApiProperty({ type: [ShareSummaryDto], description: 'Shares waiting for their responder (no share bytes)' }) shares!: ShareSummaryDto[];
}
@ApiTags('mgmt')
@ApiBearerAuth('mgmt')
@UseGuards(MgmtTokenGuard)
@Controller('mgmt/v1')
export class HubMgmtController extends MgmtControllerBase {
  constructor(
    private readonly registry: PeerClientRegistry,
    @Inject(SHARE_STORE) private readonly store: ShareStore,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly metrics: HubMetrics,
    lifecycle: NodeLifecycle,
  ) {
    super(lifecycle);
  }

  @Get('status')
  @NoQueryParams()
  @ApiOperation({ summary: 'Operational status for debugging (lab use: it shows pool contents)' })
  @ApiOkResponse({ type: HubStatusDto })
  async status(): Promise<HubStatusDto> {
    const preview = this.config.showPsrdPreview;
    return {
      name: this.config.name,
      activity: await this.metrics.activity(),
      peer_clients: this.registry.all().map((c) => ({
        client_name: c.name,
        encryptor_names: [...c.encryptorNames],
        local_pool: c.localPool.status(preview),
        peer_pool: c.peerPool.status(preview),
      })),
      // Which keys are in flight is for a lab to see, not for anyone who reaches a deployment's mgmt API.
      shares: (await this.store.list()).map(({ user_key_id, ...rest }) => (preview ? { user_key_id, ...rest } : rest)),
    };
  }
}
