import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.mjs', '**/*.js', '.nx/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] },
          ],
        },
      ],
    },
  },
  {
    // A node's program file (copied to apps/KIND/dist/node.js) runs a CommonJS bundle, and is CommonJS itself.
    files: ['tools/node-entry.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The node programs are bundled whole (tools/bundle-nodes.mjs) and V8 keeps all of a bundle's source: they take
    // the topology library's node entry, without the topology file reader and the deployment generators, and no
    // undici: a client calls its hubs with node's own HTTP client (apps/client/src/peers/hub-http.ts), which costs
    // the same per call, without undici's modules and WebAssembly parser in every client.
    files: ['apps/hub/src/**/*.ts', 'apps/client/src/**/*.ts', 'libs/service-runtime/src/**/*.ts', 'libs/node-state/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@dske/topology', message: "Nodes import '@dske/topology/nodes'." }],
          patterns: [{ group: ['undici', 'undici/*'], message: 'Nodes call hubs with node:http (peers/hub-http.ts); undici is for the dev tools.' }],
        },
      ],
    },
  },
  {
    // dske-core is pure: no NestJS, no HTTP stacks.
    files: ['libs/dske-core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@nestjs/*', 'express', 'undici', 'ioredis', 'node:http', 'node:https', 'http', 'https'], message: 'dske-core stays free of frameworks and HTTP.' },
          ],
        },
      ],
    },
  },
];
