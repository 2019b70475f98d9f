#!/usr/bin/env node
// Node 20's test runner has no glob support: find test/**/*.test.ts and hand them to it,
// with tsx as the TypeScript loader. Extra arguments are passed through (e.g. a file filter).
//
// Tests that spawn the CLI run it as plain JavaScript: src/ is transpiled once here with
// esbuild (file by file, ~0.3 s) and its path handed over in DIFYRUN_TEST_CLI, so each spawn
// skips tsx's loader (about 1 s of CPU per spawn). Without it the harness falls back to tsx.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { build } from 'esbuild';

function find(dir, suffix) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...find(path, suffix));
    else if (name.endsWith(suffix)) found.push(path);
  }
  return found;
}

// test/real-dify needs the real Dify kit and runs only with --real-dify (npm run test:real-dify).
const realDify = process.argv.includes('--real-dify');
/** From a git worktree, the kit sits next to the main checkout rather than this one. */
function mainCheckoutKit() {
  try {
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return join(dirname(common.trim()), '..', 'shared', 'real-dify');
  } catch {
    return join('..', 'shared', 'real-dify');
  }
}

const filters = process.argv.slice(2).filter((arg) => arg !== '--real-dify');
const files = find(realDify ? join('test', 'real-dify') : 'test', '.test.ts')
  .filter((f) => realDify || !f.startsWith(join('test', 'real-dify')))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (realDify && !process.env.REAL_DIFY_KIT && !existsSync(join('..', 'shared', 'real-dify')) && !existsSync(mainCheckoutKit())) {
  console.log('real-Dify suite skipped: ../shared/real-dify (the real Dify kit) is absent');
  process.exit(0);
}
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

// One level below the repository, like src/ and dist/, so paths such as ../../../assets resolve the same.
const cliDir = resolve('.test-cli');
rmSync(cliDir, { recursive: true, force: true });
await build({
  entryPoints: find('src', '.ts').filter((f) => !f.endsWith('.d.ts')),
  outdir: cliDir,
  outbase: 'src',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});

// The timeout catches hangs. Node 20 applies it to each whole file as well as to each test, and
// on a shared, overloaded machine a healthy CLI test file can take minutes, so it is generous.
// A real-Dify file spawns the CLI dozens of times against a live server: minutes, not seconds.
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-timeout=${realDify ? 900000 : 300000}`, ...files],
  { stdio: 'inherit', env: { ...process.env, DIFYRUN_TEST_CLI: join(cliDir, 'cli/main.js') } },
);
process.exit(result.status ?? 1);
