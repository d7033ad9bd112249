import { DynamicModule, Logger, Module } from '@nestjs/common';
import { HealthController, MetricsController, MGMT_TOKEN, NodeLifecycle, NodeMetrics, READINESS, REQUEST_OBSERVER } from '@dske/service-runtime';
import { ClientMetrics } from './metrics/client-metrics';
import { CLIENT_CONFIG, ClientConfig } from './client-config';
import { PeerHubs } from './peers/peer-hubs';
import { SaeDirectory } from './peers/sae-directory';
import { KeyRelayService } from './keys/key-relay.service';
import { EtsiKeysController, EtsiRootKeysController } from './etsi/etsi-keys.controller';
import { EtsiKeysService } from './etsi/etsi-keys.service';
import { ClientMgmtController } from './mgmt/mgmt.controller';
import { ClientState } from './state/client-state';

@Module({})
export class ClientModule {
  static forConfig(config: ClientConfig): DynamicModule {
    return {
      module: ClientModule,
      controllers: [EtsiKeysController, EtsiRootKeysController, ClientMgmtController, HealthController, MetricsController],
      providers: [
        { provide: CLIENT_CONFIG, useValue: config },
        { provide: MGMT_TOKEN, useFactory: () => config.mgmtToken },
        // Registrations and PSRD pools from before a restart; a state that cannot be used stops the start.
        { provide: ClientState, useFactory: () => ClientState.open(config.stateDir, config.stateSync ?? 'full', new Logger('ClientState')) },
        ClientMetrics,
        { provide: NodeMetrics, inject: [ClientMetrics], useFactory: (metrics: ClientMetrics) => metrics.node },
        { provide: REQUEST_OBSERVER, useExisting: ClientMetrics },
        PeerHubs,
        { provide: READINESS, useExisting: PeerHubs },
        SaeDirectory,
        KeyRelayService,
        EtsiKeysService,
        NodeLifecycle,
      ],
    };
  }
}
