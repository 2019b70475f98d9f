/**
 * The two packages scripts/assemble-packages.mjs builds: the SDK holds only what its entries
 * import and depends on eventsource-parser alone; require('difyrun') works (Node >= 20.19);
 * nothing ships a source map; the CLI package has the command and the server.
 * Assembled from src/ transpiled by esbuild (fast); `npm run pack` does the same from tsc's dist/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { before, test } from 'node:test';
import { build } from 'esbuild';
import { tempDir } from '../helpers/batch-harness.js';
// @ts-expect-error: a plain script (scripts/ is JavaScript, outside the typed project)
import { bundleCli } from '../../scripts/bundle.mjs';

const root = process.cwd();
let out: string;
let dist: string;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));
}

before(async () => {
  const work = tempDir('difyrun-packages-');
  dist = join(work, 'dist');
  await build({
    entryPoints: files('src').filter((f) => f.endsWith('.ts')),
    outdir: dist,
    outbase: 'src',
    format: 'esm',
    platform: 'node',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  await bundleCli(join(dist, 'bundle'));
  out = join(work, 'packages');
  const assembled = spawnSync(process.execPath, ['scripts/assemble-packages.mjs', '--dist', dist, '--out', out], { encoding: 'utf8' });
  assert.equal(assembled.status, 0, assembled.stderr);
});

test('the SDK package: its entries, one dependency, no server or batch code, no source maps, a LICENSE', () => {
  const sdk = join(out, 'difyrun');
  const manifest = JSON.parse(readFileSync(join(sdk, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    exports: Record<string, unknown>;
    bin?: unknown;
  };
  assert.deepEqual(Object.keys(manifest.dependencies), ['eventsource-parser']);
  assert.deepEqual(Object.keys(manifest.exports), ['.', './node', './protocol', './package.json']);
  assert.equal(manifest.bin, undefined);
  const shipped = files(sdk).map((file) => file.slice(sdk.length + 1));
  assert.ok(shipped.includes('dist/index.js') && shipped.includes('LICENSE'));
  assert.ok(!shipped.some((file) => /^dist\/(server|batch|cli)\//.test(file)), shipped.join(' '));
  assert.ok(!shipped.some((file) => file.endsWith('.map')));
  for (const file of shipped.filter((f) => f.endsWith('.js'))) assert.doesNotMatch(readFileSync(join(sdk, file), 'utf8'), /sourceMappingURL/, file);
});

test('require("difyrun") and import both work from an installed copy', () => {
  const project = tempDir('difyrun-consumer-');
  mkdirSync(join(project, 'node_modules'));
  cpSync(join(out, 'difyrun'), join(project, 'node_modules', 'difyrun'), { recursive: true });
  symlinkSync(resolve(root, 'node_modules/eventsource-parser'), join(project, 'node_modules', 'eventsource-parser'), 'dir');
  const script =
    "const sdk = require('difyrun'); const node = require('difyrun/node'); console.log(typeof sdk.DifyClient, typeof sdk.SSEDecoder, typeof node.uploadFromPath)";
  const required = spawnSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' });
  assert.equal(required.status, 0, required.stderr);
  assert.equal(required.stdout.trim(), 'function function function');
  const imported = spawnSync(process.execPath, ['--input-type=module', '-e', "import { DifyClient } from 'difyrun'; console.log(typeof DifyClient)"], {
    cwd: project,
    encoding: 'utf8',
  });
  assert.equal(imported.stdout.trim(), 'function', imported.stderr);
});

test('the CLI package: the difyrun command, difyrun-cli/server, the example workflows, every runtime dependency', () => {
  const cli = join(out, 'difyrun-cli');
  const manifest = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
    exports: Record<string, unknown>;
    dependencies: Record<string, string>;
  };
  assert.deepEqual(manifest.bin, { difyrun: './dist/bundle/main.js' });
  assert.ok('./server' in manifest.exports);
  assert.ok(
    existsSync(join(cli, 'dist/bundle/main.js')) &&
      existsSync(join(cli, 'examples/workflows/review-triage.yml')) &&
      existsSync(join(cli, 'examples/data/reviews.csv')),
  );
  for (const name of ['commander', 'pyodide', 'node-sqlite3-wasm', 'eventsource-parser']) assert.ok(manifest.dependencies[name], name);
  assert.ok(!files(cli).some((file) => file.endsWith('.map')));
});

/**
 * The CLI package installed beside the dependencies it declares, and only those (theirs resolve
 * from where they really are): a package the command loads but does not declare fails here as it
 * would for a user.
 */
function installedCli(): string {
  const cli = join(out, 'difyrun-cli');
  const { dependencies } = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(dependencies)) {
    const link = join(cli, 'node_modules', name);
    if (existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(resolve(root, 'node_modules', name), link, 'dir');
  }
  return cli;
}

test('the packaged command runs from its bundle: --version, a report page built from the assets it ships, an .xlsx export without warnings', () => {
  const cli = installedCli();
  const bin = join(cli, 'dist/bundle/main.js');
  const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
  const work = tempDir('difyrun-packaged-report-');
  writeFileSync(join(work, 'out.jsonl'), '{"id":"r1","status":"success","inputs":{"q":"a"},"outputs":{"text":"b"}}\n');
  const report = spawnSync(process.execPath, [bin, 'report', join(work, 'out.jsonl'), '-o', join(work, 'report.html')], { encoding: 'utf8' });
  assert.equal(report.status, 0, report.stderr);
  const page = readFileSync(join(work, 'report.html'), 'utf8');
  assert.match(page, /Chart\.js v\d/, 'Chart.js inlined from node_modules');
  assert.match(page, /"id":"r1"/);
  // Inlined packages lose Node's node_modules exemption from some deprecation warnings (exceljs's archiver: new Buffer()).
  const xlsx = spawnSync(process.execPath, [bin, 'export', join(work, 'out.jsonl'), '-o', join(work, 'out.xlsx')], { encoding: 'utf8' });
  assert.equal(xlsx.status, 0, xlsx.stderr);
  assert.doesNotMatch(xlsx.stderr, /Warning/);
  assert.ok(existsSync(join(work, 'out.xlsx')));
});

// A batch in a terminal draws a progress bar (cli-progress, loaded only then): `script` gives it one.
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
test(
  'the packaged command runs a batch in a terminal (the progress bar and its package)',
  { skip: !hasScript && 'util-linux script(1) is not installed' },
  () => {
    const cli = installedCli();
    const work = tempDir('difyrun-packaged-tty-');
    const command = [process.execPath, join(cli, 'dist/bundle/main.js'), 'batch', '--local', join(cli, 'examples/workflows/review-triage.yml')]
      .concat(['-i', join(cli, 'examples/data/reviews.csv'), '-o', join(work, 'out.jsonl')])
      .map((arg) => `'${arg}'`)
      .join(' ');
    const run = spawnSync('script', ['-qec', command, '/dev/null'], {
      encoding: 'utf8',
      cwd: work,
      env: { ...process.env, DIFYRUN_LOCAL_DIR: join(work, 'local') },
    });
    assert.equal(run.status, 0, run.stdout);
    assert.match(run.stdout, /12 succeeded, 0 failed of 12 rows/);
  },
);

test('a declaration comment that points at a document the package does not ship fails the build', () => {
  const declaration = join(dist, 'index.d.ts');
  writeFileSync(declaration, "/** How retries work: see research/retries.md */\nexport * from './client/client.js';\n");
  try {
    const assembled = spawnSync(process.execPath, ['scripts/assemble-packages.mjs', '--dist', dist, '--out', join(tempDir('difyrun-packages-'), 'out')], {
      encoding: 'utf8',
    });
    assert.notEqual(assembled.status, 0);
    assert.match(assembled.stderr, /index\.d\.ts points at research\/retries\.md, which the package does not ship/);
  } finally {
    rmSync(declaration);
  }
});
