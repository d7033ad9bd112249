import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { RecordSeal } from '@dske/core';
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
import { loadOrCreateStorageKey } from './shares/storage-key';

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
            const { key, file, created } = loadOrCreateStorageKey(config.stateDir);
            const logger = new Logger('ShareStore');
            if (!file) logger.warn('No --state-dir: the storage key that seals shares in Redis lives in memory only; shares stored before a restart are then unreadable');
            else if (created) logger.log(`Created the storage key ${file}`);
            const { RedisShareStore } = await import('./shares/redis-share-store.js');
            const store = new RedisShareStore(config.redisUrl, config.name, new RecordSeal(key), logger);
            key.fill(0);
            await store.start();
            return store;
          },
        },
        // A hub is ready once it serves HTTP and its share store answers: it waits for no other node.
        { provide: READINESS, inject: [SHARE_STORE], useFactory: (store: ShareStore) => ({ notReadyReason: () => store.unavailableReason() }) },
        PeerClientRegistry,
        KeyShareService,
        SignedReply,
        NodeLifecycle,
        ShareStoreCloser,
      ],
    };
  }
}
