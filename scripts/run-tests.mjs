#!/usr/bin/env node
// Node 20's test runner has no glob support: find test/**/*.test.ts and hand them to it.
// Extra arguments are passed through as file filters (substrings of the path).
//
//   node scripts/run-tests.mjs [FILTER…]       the suite, without the scale tests (npm test)
//   node scripts/run-tests.mjs --scale         only the scale tests (npm run test:scale; CI runs both)
//   node scripts/run-tests.mjs --real-dify     the suite against the real Dify kit
//   --checks                                   also npm run lint and typecheck, alongside the tests
//                                              (npm test: ~6 s of CPU between them: oxlint, oxfmt, ESLint on 5 files, tsc 7)
//   --timings                                  after the run, each test file's wall time and CPU time
//                                              (its own and its reaped children's: CLI spawns, redis,
//                                              browsers), longest CPU first; Linux only (/proc)
//
// Everything runs as plain JavaScript built once here with esbuild (about a second): each test
// file bundled with the src/ it imports into .test-js/, the CLI that tests spawn bundled into
// .test-cli/bundle/ (see bundled()), and src/ file by file into .test-cli/. Loading TypeScript
// through tsx instead costs each test file about half a second of CPU, each CLI spawn about a
// second, and each sandbox worker its own loader. A single file still runs from source:
// node --import tsx --test FILE.
//
// Files run several at a time: most tests wait on servers, streams and child processes, so on
// two cores one file at a time (Node 20's default there) leaves the CPU idle. (Six at a time
// was tried: at load 20 it starved the queue tests' workers into timeouts; four it stays.)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { dirname, join, relative, resolve } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { build } from 'esbuild';
import { bundleCli, bundled, ESBUILD_COMMON } from './bundle.mjs';

function find(dir, suffix) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...find(path, suffix));
    else if (name.endsWith(suffix)) found.push(path);
  }
  return found;
}

/**
 * Full-size scale tests, about 90 s of CPU between them: not in the run before each commit
 * (npm test) but in `npm run test:scale`, which CI (.ci/run) runs after npm test. Issue 14
 * requires the first at full size; npm test keeps the smaller fault and crash tests.
 */
/**
 * The files that take longest on their own (many CLI spawns, Pyodide boots, real sleeps and
 * timeouts), slowest first, from `--timings` on a quiet machine. They start first so that the
 * run does not end with one long file on one core; a checkout that has run the suite before
 * orders by its own last durations instead (node_modules/.cache/run-tests/durations.json).
 */
const SLOW_FILES = [
  'cli/commands',
  'queue/redis-restart',
  'cli/first-contact',
  'queue/hosts',
  'server/sandbox',
  'server/pyodide-location',
  'queue/interrupt',
  'queue/app-stop',
  'batch/recovery-crashes',
  'results/report-browser',
  'client/sse-conformance',
  'batch/input-resume',
  'batch/cli-stops',
  'batch/recovery-faults',
  'batch/cli.',
  'server/conformance',
  'batch/input-init',
  'batch/input-formats',
].map((name) => join('test', `${name}`));
const DURATIONS = join('node_modules', '.cache', 'run-tests', 'durations.json');

/** The files, the longest-running first: by their last measured wall time, else by SLOW_FILES. */
function slowFirst(files) {
  let last = {};
  try {
    last = JSON.parse(readFileSync(DURATIONS, 'utf8'));
  } catch {
    // First run in this checkout: the static list decides.
  }
  const hinted = (file) => SLOW_FILES.findIndex((prefix) => file.startsWith(prefix));
  const weight = (file) => last[file] ?? (hinted(file) >= 0 ? 1e9 - hinted(file) : 0);
  return [...files].sort((a, b) => weight(b) - weight(a));
}

/** Keeps each file's latest wall time for the next run's order. */
function saveDurations(measured) {
  let durations = {};
  try {
    durations = JSON.parse(readFileSync(DURATIONS, 'utf8'));
  } catch {
    // None yet.
  }
  for (const { file, wallMs } of measured) durations[join('test', relative(testDir, file)).replace(/\.js$/, '.ts')] = wallMs;
  mkdirSync(dirname(DURATIONS), { recursive: true });
  writeFileSync(DURATIONS, `${JSON.stringify(durations, null, 1)}\n`);
}

const SCALE_TESTS = [join('test', 'queue', 'scale-out.test.ts'), join('test', 'batch', 'recovery-fault-mix.test.ts')];

// test/real-dify needs the real Dify kit and runs only with --real-dify (npm run test:real-dify).
const realDify = process.argv.includes('--real-dify');
const scale = process.argv.includes('--scale');

/** Runs `npm run NAME` with its output held back until the tests have printed theirs. */
function check(name) {
  const child = spawn('npm', ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ name, code, output })));
}
/** From a git worktree, the kit sits next to the main checkout rather than this one. */
function mainCheckoutKit() {
  try {
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return join(dirname(common.trim()), '..', 'shared', 'real-dify');
  } catch {
    return join('..', 'shared', 'real-dify');
  }
}

const timings = process.argv.includes('--timings');
const filters = process.argv.slice(2).filter((arg) => !['--real-dify', '--scale', '--checks', '--timings'].includes(arg));
const files = find(realDify ? join('test', 'real-dify') : 'test', '.test.ts')
  .filter((f) => realDify || !f.startsWith(join('test', 'real-dify')))
  // A filter naming a scale test runs it too.
  .filter((f) => realDify || scale === SCALE_TESTS.includes(f) || (filters.length > 0 && SCALE_TESTS.includes(f)))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (realDify && !process.env.REAL_DIFY_KIT && !existsSync(join('..', 'shared', 'real-dify')) && !existsSync(mainCheckoutKit())) {
  console.log('real-Dify suite skipped: ../shared/real-dify (the real Dify kit) is absent');
  process.exit(0);
}
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const checks = process.argv.includes('--checks') ? ['lint', 'typecheck'].map(check) : [];

// One level below the repository, like src/ and test/, so paths such as ../../../assets (src) and
// ../../../shared (tests) resolve the same; test/fixtures is linked in beside the compiled tests.
const cliDir = resolve('.test-cli');
const testDir = resolve('.test-js');
const bundleDir = join(cliDir, 'bundle');
rmSync(cliDir, { recursive: true, force: true });
rmSync(testDir, { recursive: true, force: true });
await build({ ...ESBUILD_COMMON, entryPoints: find('src', '.ts').filter((f) => !f.endsWith('.d.ts')), outdir: cliDir, outbase: 'src' });
await Promise.all([bundleCli(bundleDir), bundleTests()]);
symlinkSync(resolve('test', 'fixtures'), join(testDir, 'fixtures'));
// Each test file's process (node --test forwards its --import to them) appends its wall and CPU
// times at exit; CPU includes its reaped children, read from /proc/self/stat (so Linux only).
// They order the next run (see slowFirst) and make the --timings table.
const TIMING_PROBE = `import { appendFileSync, readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
const file = process.argv[1] ?? '';
if (isMainThread && file.endsWith('.test.js')) {
  process.on('exit', () => {
    const ticks = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').slice(11, 15).map(Number);
    const cpuMs = (ticks[0] + ticks[1] + ticks[2] + ticks[3]) * 10;
    const childMs = (ticks[2] + ticks[3]) * 10;
    const line = { file, wallMs: Math.round(performance.now()), cpuMs, childMs };
    appendFileSync(process.env.DIFYRUN_TEST_TIMINGS, JSON.stringify(line) + '\\n');
  });
}
`;
const probed = existsSync('/proc/self/stat');
const timingsLog = join(testDir, 'timings.jsonl');
if (probed) writeFileSync(join(testDir, 'timing-probe.mjs'), TIMING_PROBE);

const pyodideSnapshot = await preparePyodideSnapshot();
const compiled = slowFirst(files).map((f) => join(testDir, relative('test', f)).replace(/\.ts$/, '.js'));

// The timeout catches hangs. Node 20 applies it to each whole file as well as to each test, and
// on a shared, overloaded machine a healthy CLI test file can take minutes, so it is generous
// (at load 20-24 on two cores, cli/commands took 273 s and then over 300 s: 600 s since).
// A real-Dify file spawns the CLI dozens of times against a live server: minutes, not seconds;
// those files run one at a time (they share one real server and its single worker).
const concurrency = realDify ? 1 : Math.max(4, availableParallelism() * 2);
const startedAt = Date.now();
// Node parses every certificate NODE_EXTRA_CA_CERTS names before any JavaScript runs: on a machine
// that points it at the system bundle, ~85 ms of CPU for each of the suite's hundreds of Node
// processes. The tests only talk plain HTTP to 127.0.0.1 (the one HTTPS case uses its own
// self-signed certificate), so their processes start without it.
const { NODE_EXTRA_CA_CERTS: _caBundle, ...testEnv } = process.env;
const tests = spawn(
  process.execPath,
  [
    ...(probed ? ['--import', pathToFileURL(join(testDir, 'timing-probe.mjs')).href] : []),
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${realDify ? 900000 : 600000}`,
    ...compiled,
  ],
  {
    stdio: 'inherit',
    env: {
      ...testEnv,
      DIFYRUN_TEST_CLI: join(bundleDir, 'main.js'),
      DIFYRUN_TEST_CLI_MODULES: join(cliDir, 'cli/main.js'),
      DIFYRUN_TEST_TIMINGS: timingsLog,
      DIFYRUN_PYODIDE_SNAPSHOT: pyodideSnapshot,
    },
  },
);
const testsPassed = await new Promise((resolve) => tests.on('close', (code) => resolve(code === 0)));
const testsWallMs = Date.now() - startedAt;
let passed = testsPassed;
for (const { name, code, output } of await Promise.all(checks)) {
  process.stdout.write(`\nnpm run ${name}: ${code === 0 ? 'ok' : `failed (exit ${code})`}\n${output}`);
  passed &&= code === 0;
}
const measured = probed ? readTimings() : [];
if (measured.length > 0) saveDurations(measured);
if (timings) reportTimings(measured);
process.exit(passed ? 0 : 1);

/**
 * The CLI that tests spawn (DIFYRUN_TEST_CLI) is the bundle users run (scripts/bundle.mjs), built
 * from src/; the test files are bundled the same way: a worker's start-up went from ~0.9 s to
 * ~0.45 s of CPU, `batch --help` from ~0.45 s to ~0.3 s, importing the server and the batch
 * executor from ~0.6 s to ~0.3 s. (The start-up test, which checks which modules a command loads,
 * spawns the file-by-file .test-cli: DIFYRUN_TEST_CLI_MODULES.)
 */
/** Each test file where it was (.test-js/server/sandbox.test.js), so paths relative to it hold. */
function bundleTests() {
  const tests = find('test', '.test.ts').map((file) => [relative('test', file).replace(/\.ts$/, ''), file]);
  return bundled(testDir, 'chunks/shared', Object.fromEntries(tests));
}

/**
 * Python code nodes start Pyodide from one snapshot (src/server/engine/sandbox/python-snapshot.ts):
 * ~1 s of CPU a start instead of ~5 s, for the half-dozen starts in the suite (the sandbox test
 * restarts it twice). Made here once per Pyodide version, through the sandbox itself, so that test
 * files starting together do not each make it. test/server/pyodide-location starts in full, as users do.
 */
async function preparePyodideSnapshot() {
  const { version } = JSON.parse(readFileSync(join('node_modules', 'pyodide', 'package.json'), 'utf8'));
  const file = resolve('node_modules', '.cache', 'run-tests', `pyodide-${version}.snapshot`);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    process.env.DIFYRUN_PYODIDE_SNAPSHOT = file;
    const { Sandbox } = await import(pathToFileURL(join(cliDir, 'server', 'engine', 'sandbox', 'sandbox.js')).href);
    const sandbox = new Sandbox();
    await sandbox.warmPython();
    await sandbox.close();
  }
  return file;
}

/** The --timings table: every file, most CPU first, then the totals and the load average. */
function reportTimings() {
  const rows = existsSync(timingsLog)
    ? readFileSync(timingsLog, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    : [];
  rows.sort((a, b) => b.cpuMs - a.cpuMs);
  const sec = (ms) => (ms / 1000).toFixed(1).padStart(7);
  console.log(`\n${'cpu s'.padStart(7)} ${'wall s'.padStart(7)} ${'child s'.padStart(7)}  file`);
  for (const row of rows) console.log(`${sec(row.cpuMs)} ${sec(row.wallMs)} ${sec(row.childMs)}  ${relative(testDir, row.file)}`);
  const self = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').slice(11, 15).map(Number);
  const allCpuMs = (self[0] + self[1] + self[2] + self[3]) * 10;
  const fileCpuMs = rows.reduce((sum, row) => sum + row.cpuMs, 0);
  console.log(`${rows.length} files: ${sec(fileCpuMs).trim()} s CPU in test files; tests wall ${sec(testsWallMs).trim()} s;`);
  console.log(
    `whole run (tests, checks, build) ${sec(allCpuMs).trim()} s CPU, ${sec(Date.now() - startedAt).trim()} s wall; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

/** What the probe wrote: one record per test file that exited. */
function readTimings() {
  if (!existsSync(timingsLog)) return [];
  return readFileSync(timingsLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}
