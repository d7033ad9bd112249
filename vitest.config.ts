import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const lib = (name: string) => fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));

// Unit tests import the libraries from source; app tests run the built programs.
const alias = { '@dske/core': lib('dske-core'), '@dske/topology': lib('topology') };

export default defineConfig({
  test: {
    projects: [
      { resolve: { alias }, test: { name: 'dske-core', root: 'libs/dske-core', include: ['src/**/*.spec.ts'] } },
      { resolve: { alias }, test: { name: 'topology', root: 'libs/topology', include: ['src/**/*.spec.ts'] } },
    ],
  },
});
