import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { HealthController, MGMT_TOKEN, NodeLifecycle, READINESS } from '@dske/service-runtime';
import { HUB_CONFIG, HubConfig } from './hub-config';
import { PeerClientRegistry } from './peers/peer-client-registry';
import { OobController } from './oob/oob.controller';
import { KeyShareController } from './api/key-share.controller';
import { KeyShareService } from './api/key-share.service';
import { SignedReply } from './api/signed-reply';
import { HubMgmtController } from './mgmt/mgmt.controller';
import { SHARE_STORE, ShareStore } from './shares/share-store';
import { MemoryShareStore } from './shares/memory-share-store';

class ShareStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(SHARE_STORE) private readonly store: ShareStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

@Module({})
export class HubModule {
  static forConfig(config: HubConfig): DynamicModule {
    return {
      module: HubModule,
      controllers: [OobController, KeyShareController, HubMgmtController, HealthController],
      providers: [
        { provide: HUB_CONFIG, useValue: config },
        { provide: MGMT_TOKEN, useFactory: () => config.mgmtToken },
        {
          provide: SHARE_STORE,
          // ioredis (~15 MiB resident) is loaded only by hubs that use Redis.
          useFactory: async (): Promise<ShareStore> => {
            if (!config.redisUrl) return new MemoryShareStore();
            const { RedisShareStore } = await import('./shares/redis-share-store.js');
            return new RedisShareStore(config.redisUrl, config.name);
          },
        },
        // A hub is ready as soon as it serves HTTP: it waits for nobody.
        { provide: READINESS, useValue: { notReadyReason: () => undefined } },
        PeerClientRegistry,
        KeyShareService,
        SignedReply,
        NodeLifecycle,
        ShareStoreCloser,
      ],
    };
  }
}
