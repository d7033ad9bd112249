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
