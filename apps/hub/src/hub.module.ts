import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { HealthController, MetricsController, MGMT_TOKEN, NodeLifecycle, NodeMetrics, READINESS, REQUEST_OBSERVER } from '@dske/service-runtime';
import { HubMetrics } from './metrics/hub-metrics';
import { HUB_CONFIG, HubConfig } from './hub-config';
import { PeerClientRegistry } from './peers/peer-client-registry';
import { OobController } from './oob/oob.controller';
import { KeyShareController } from './api/key-share.controller';
import { KeyShareService } from './api/key-share.service';
import { SignedReply } from './api/signed-reply';
import { HubMgmtController } from './mgmt/mgmt.controller';
import { SHARE_STORE, ShareStore } from './shares/share-store';
import { HubState } from './state/hub-state';

class HubStateCloser implements OnApplicationShutdown {
  constructor(@Inject(HubState) private readonly state: HubState) {}
  async onApplicationShutdown(): Promise<void> {
    await this.state.close();
  }
}

@Module({})
export class HubModule {
  static forConfig(config: HubConfig): DynamicModule {
    return {
      module: HubModule,
      controllers: [OobController, KeyShareController, HubMgmtController, HealthController, MetricsController],
      providers: [
        { provide: HUB_CONFIG, useValue: config },
        { provide: MGMT_TOKEN, useFactory: () => config.mgmtToken },
        // Registrations, PSRD pools and shares from before a restart; a state that cannot be used stops the start.
        { provide: HubState, useFactory: () => HubState.open(config, new Logger('HubState')) },
        { provide: SHARE_STORE, inject: [HubState], useFactory: (state: HubState): ShareStore => state.shares },
        // A hub is ready once it serves HTTP and its share store answers: it waits for no other node.
        { provide: READINESS, inject: [HubState], useFactory: (state: HubState) => ({ notReadyReason: () => state.shares.unavailableReason() ?? state.notLoadedReason() }) },
        HubMetrics,
        { provide: NodeMetrics, inject: [HubMetrics], useFactory: (metrics: HubMetrics) => metrics.node },
        { provide: REQUEST_OBSERVER, useExisting: HubMetrics },
        PeerClientRegistry,
        KeyShareService,
        SignedReply,
        NodeLifecycle,
        HubStateCloser,
      ],
    };
  }
}
