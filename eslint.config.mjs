import { readdirSync } from 'node:fs';

import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

/**
 * STYLE habit 16: core/ imports no feature (nor the composition root that lists them all); features
 * reach core through tokens and events. Imports are relative, so each folder depth gets the number
 * of `../` that climbs from it to src/.
 */
function coreKnowsNoFeature() {
  const outside = readdirSync(new URL('./src', import.meta.url))
    .filter((name) => name !== 'core')
    .map((name) => name.replace(/\.ts$/, '').replace(/\./g, '\\.'));
  const names = `(${outside.join('|')})(/|$)`;
  const message = 'core/ imports no feature: provide an injection token or emit an event instead.';
  return [0, 1, 2, 3, 4].map((depth) => ({
    files: [`src/core/${'*/'.repeat(depth)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: `^(\\.\\./){${depth + 1}}${names}`, message },
            { regex: `^src/${names}`, message },
          ],
        },
      ],
    },
  }));
}

/** `db.options.type`, `options['type']`, `const { type } = db.options`: the database type, read outside a repository. */
function dialectChecks() {
  const message =
    'Branch on the database type only in a *.repository.ts (or core/database/): ask the repository instead.';
  return [
    "MemberExpression[object.property.name='options'][property.name='type']",
    "MemberExpression[object.property.name='options'][property.value='type']",
    "MemberExpression[object.name='options'][property.name='type']",
    "MemberExpression[object.name='options'][property.value='type']",
    "VariableDeclarator[init.property.name='options'] > ObjectPattern > Property[key.name='type']",
  ].map((selector) => ({ selector, message }));
}

/**
 * `{ ...a, b }`: on Node 20 (V8 11.3) an object that starts as a copy of another and then gains a
 * property or another spread gets new hidden classes, allocated in the old generation, every time
 * (~0.5 µs a property, and old-generation garbage that only a full collection frees; Node 22 does
 * not). Write the properties first, `{ b, ...a }`, or `Object.assign({}, a, { b })` when `a` must
 * not override `b`. `node bench/spread.mjs` measures it (bench/results/analysis.md).
 */
function spreadChecks() {
  return [
    {
      selector: 'ObjectExpression > SpreadElement:first-child:not(:last-child)',
      message:
        'An object literal that starts with a spread and goes on is slow on Node 20: put the properties first, or use Object.assign({}, a, { b }).',
    },
  ];
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'eslint.config.mjs',
      'sdk/js/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-console': 'error',
    },
  },
  {
    // CommonJS helpers loaded by tools (the ts-jest transformer): outside the TypeScript project.
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Plain Node scripts (CI steps): outside the TypeScript project.
    files: ['**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'module',
      globals: {
        process: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
  },
  ...coreKnowsNoFeature(),
  {
    // Producers emit through core/events; only the app wires webhooks in as its subscriber.
    files: ['src/**/*.ts'],
    // core/ has its own rule above (no feature at all, webhooks included): this one would replace it there.
    ignores: ['src/webhooks/**', 'src/app.module.ts', 'src/entities.ts', 'src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)webhooks/',
              message: 'Emit events through core/events (EventsService), not webhooks/.',
            },
          ],
        },
      ],
    },
  },
  // One completion runner (STYLE habit 17): chat/ and openai/ translate their wire formats around
  // completions/ and share nothing else; this replaces the webhooks rule there, so it repeats it.
  ...[
    ['chat', 'openai'],
    ['openai', 'chat'],
  ].map(([folder, other]) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)webhooks/',
              message: 'Emit events through core/events (EventsService), not webhooks/.',
            },
            {
              regex: `(^|/)${other}/`,
              message: `${folder}/ does not import ${other}/: what both need lives in completions/ or core/.`,
            },
          ],
        },
      ],
    },
  })),
  {
    // Repositories own the SQL and the dialect choice; services keep the rules for every database.
    files: ['src/**/*.ts'],
    ignores: ['src/core/database/**', 'src/**/*.repository.ts', 'src/**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...dialectChecks(), ...spreadChecks()],
    },
  },
  {
    files: ['src/core/database/**/*.ts', 'src/**/*.repository.ts'],
    rules: { 'no-restricted-syntax': ['error', ...spreadChecks()] },
  },
  {
    files: ['src/**/*.spec.ts'],
    ignores: ['src/core/database/**', 'src/**/*.repository.spec.ts'],
    rules: { 'no-restricted-syntax': ['error', ...dialectChecks()] },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
