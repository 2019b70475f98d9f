// ESLint checks only the report page's browser scripts; oxlint (.oxlintrc.json) checks the TypeScript.
// These files are concatenated into one inlined <script> (src/results/report/page.ts): each names what it
// uses from the others in a /* global */ comment, and their top-level functions are shared, not unused.
// oxlint has no script scope and ignores /* global */ comments, so these two rules need ESLint here.
import js from '@eslint/js';

export default [
  { ignores: ['**/*', '!assets/', '!assets/report/', '!assets/report/**/*.js'] },
  js.configs.recommended,
  {
    files: ['assets/report/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        console: 'readonly',
        document: 'readonly',
        Node: 'readonly',
        Intl: 'readonly',
        getComputedStyle: 'readonly',
        queueMicrotask: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Chart: 'readonly',
        Diff: 'readonly',
      },
    },
    rules: { 'no-unused-vars': ['error', { vars: 'local', argsIgnorePattern: '^_' }] },
  },
];
