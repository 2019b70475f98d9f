#!/usr/bin/env node
// Node 20's test runner has no glob support: find test/**/*.test.ts and hand them to it,
// with tsx as the TypeScript loader. Extra arguments are passed through (e.g. a file filter).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
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
const files = findTests(realDify ? join('test', 'real-dify') : 'test')
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
const result = spawnSync(
  process.execPath,
  // A real-Dify file spawns the CLI dozens of times against a live server: minutes, not seconds.
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-timeout=${realDify ? 900000 : 120000}`, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
