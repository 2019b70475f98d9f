import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'coverage/**', '.test-cli/**', '.test-js/**', '.difyrun/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        AbortController: 'readonly',
        Buffer: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The SDK core must run outside Node: no node:* imports (Node helpers live in src/node.ts).
    files: ['src/client/**/*.ts', 'src/protocol/**/*.ts', 'src/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*'], message: 'The SDK core is runtime-agnostic: put Node-only code in src/node.ts.' }] },
      ],
    },
  },
  {
    // The report page's browser scripts: concatenated into one inlined script (src/results/report/page.ts);
    // each file names what it uses from the others in a /* global */ comment.
    files: ['assets/report/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        document: 'readonly',
        Node: 'readonly',
        Intl: 'readonly',
        getComputedStyle: 'readonly',
        queueMicrotask: 'readonly',
        Chart: 'readonly',
        Diff: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { vars: 'local', argsIgnorePattern: '^_' }] },
  },
);
