import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const lib = (name: string) => fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));

// Unit tests import the libraries from source; system tests run the built node programs.
const alias = {
  // Test helpers that live beside what they test and stay out of the build.
  '@dske/service-runtime/testing': fileURLToPath(new URL('./libs/service-runtime/src/dto-check.testing.ts', import.meta.url)),
  '@dske/topology/nodes': fileURLToPath(new URL('./libs/topology/src/nodes.ts', import.meta.url)),
  '@dske/core': lib('dske-core'),
  '@dske/topology': lib('topology'),
  '@dske/test-support': lib('test-support'),
  '@dske/lab-pki': lib('lab-pki'),
  '@dske/service-runtime': lib('service-runtime'),
  '@dske/node-state': lib('node-state'),
  '@dske/native-memory': lib('native-memory'),
};

// Tests that start real processes run one file at a time: the CI machine has 2 cores.
const system = { fileParallelism: false, testTimeout: 120_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    projects: [
      { resolve: { alias }, test: { name: 'dske-core', root: 'libs/dske-core', include: ['src/**/*.spec.ts'] } },
      { resolve: { alias }, test: { name: 'topology', root: 'libs/topology', include: ['src/**/*.spec.ts'] } },
      { resolve: { alias }, test: { name: 'service-runtime', root: 'libs/service-runtime', include: ['src/**/*.spec.ts'] } },
      // Node state stores: the SQLite file and a redis-server of the test's own.
      { resolve: { alias }, test: { name: 'node-state', root: 'libs/node-state', include: ['src/**/*.spec.ts'], ...system } },
      { resolve: { alias }, test: { name: 'native-memory', root: 'libs/native-memory', include: ['src/**/*.spec.ts'] } },
      { resolve: { alias }, test: { name: 'lab-pki', root: 'libs/lab-pki', include: ['src/**/*.spec.ts'] } },
      // The hub's services and stores without a process (the Redis store against a redis-server of the test's own).
      { resolve: { alias }, test: { name: 'hub', root: 'apps/hub', include: ['src/**/*.spec.ts'], ...system } },
      // The client's hub connection (registration, refill, signed transfer) over a scripted hub in memory.
      { resolve: { alias }, test: { name: 'client', root: 'apps/client', include: ['src/**/*.spec.ts'] } },
      { resolve: { alias }, test: { name: 'manager', root: 'apps/manager', include: ['src/**/*.spec.ts', 'test/**/*.spec.ts', 'page/**/*.spec.ts'], ...system } },
      // Real containers from docker/Dockerfile and the committed docker-compose.generated.yml (apps/containers-e2e/run.mjs skips without an engine).
      { resolve: { alias }, test: { name: 'containers-e2e', root: 'apps/containers-e2e', include: ['src/**/*.spec.ts'], fileParallelism: false, testTimeout: 300_000, hookTimeout: 900_000 } },
      { resolve: { alias }, test: { name: 'nodes-e2e', root: 'apps/nodes-e2e', include: ['src/**/*.spec.ts'], ...system } },
    ],
  },
});
