/**
 * What a newcomer meets first (issue 10): closed pipes, `--local` across commands, exit codes that
 * tell "could not use the server" from "the run failed", help defaults, the serve port, advice
 * that names where a setting came from, and aligned tables.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CommanderError } from 'commander';
import stringWidth from 'string-width';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { buildProgram } from '../../src/cli/program.js';
import { table } from '../../src/cli/text-table.js';
import { cli, cliEntry, tempDir } from '../helpers/batch-harness.js';

const TRIAGE = resolve('examples/workflows/review-triage.yml');
const TWO_OUTPUTS = resolve('test/fixtures/workflows/stream-two-outputs.yml');

let server: RunningServer;
let env: Record<string, string>;
before(async () => {
  server = await startServer({ workflow: TRIAGE, port: 0 });
  env = { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL };
});
after(() => server.close());

describe('a reader that goes away (| head)', () => {
  // The read end is closed before the command writes anything, so its first write meets EPIPE.
  test('run --json, batch --dry-run, --version and --help exit 0 with nothing on stderr', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.csv'), 'id,review,rating\nr1,Fine,4\nr2,Bad,1\nr3,Okay,3\n');
    for (const args of [
      ['run', '--inputs-json', '{"review": "Piped", "rating": 2}', '--json'],
      ['batch', '-i', 'in.csv', '-o', 'out.jsonl', '--dry-run'],
      ['--version'],
      ['--help'],
    ]) {
      const { child, done } = cli(args, { cwd: dir, env });
      child.stdout!.destroy();
      const result = await done;
      assert.equal(result.stderr, '', `${args[0]}: no stack trace`);
      assert.equal(result.code, 0, args[0]);
    }
  });
});

describe('--local keeps runs, logs and uploads between commands', () => {
  test('a run id from run --local is found by status and logs --local; uploads are kept; .difyrun/ is git-ignored', async () => {
    const dir = tempDir();
    const local = (args: string[]) => cli([...args, '--local', TRIAGE], { cwd: dir }).done;
    const started = await local(['run', '--input', 'review=Kept between commands', '--input', 'rating=4', '--json']);
    assert.equal(started.code, 0, started.stderr);
    const runId = (JSON.parse(started.stdout.split('\n')[0]!) as { workflow_run_id: string }).workflow_run_id;

    const status = await local(['status', runId]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`run +${runId}\\nstatus +succeeded`));
    const logs = await local(['logs', '--json']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.deepEqual(
      logs.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { workflow_run: { id: string } }).workflow_run.id),
      [runId],
    );

    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const upload = await local(['upload', 'notes.txt', '--json']);
    assert.equal(upload.code, 0, upload.stderr);
    const fileId = (JSON.parse(upload.stdout) as { file: { id: string } }).file.id;
    const [dataDir] = readdirSync(join(dir, '.difyrun')).filter((name) => name.startsWith('review-triage-'));
    assert.ok(dataDir, 'one data directory per workflow file');
    assert.ok(
      readdirSync(join(dir, '.difyrun', dataDir, 'uploads')).some((name) => name.startsWith(fileId)),
      'the upload is kept on disk',
    );
    assert.match(readFileSync(join(dir, '.difyrun', '.gitignore'), 'utf8'), /^\*$/m);
  });
});

describe("the README's commands leave the clone clean", () => {
  const inGit = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { encoding: 'utf8' }).stdout.trim() === 'true';
  test('results.jsonl and the files beside it, and .difyrun/, are git-ignored', { skip: !inGit && 'not a git checkout' }, () => {
    const paths = ['results.jsonl', 'results.jsonl.summary.json', 'results.jsonl.journal', 'results.jsonl.retry', '.difyrun/review-triage-0/difyrun.db'];
    const ignored = spawnSync('git', ['check-ignore', '--no-index', ...paths], { encoding: 'utf8' });
    assert.deepEqual(ignored.stdout.trim().split('\n'), paths);
  });
});

describe('exit codes', () => {
  test('a server that cannot be reached or used is 4, for single commands and for batch', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.csv'), 'id,review,rating\nr1,Fine,4\n');
    const noV1 = { ...env, DIFY_API_BASE_URL: server.baseURL.replace(/\/v1$/, '') };
    const info = await cli(['info'], { env: noV1 }).done;
    assert.equal(info.code, 4, info.stderr);
    assert.match(info.stderr, /No Dify API at .* \(it usually ends in \/v1\)/);
    const batch = await cli(['batch', '-i', 'in.csv', '-o', 'out.jsonl'], { cwd: dir, env: { ...env, DIFY_API_BASE_URL: 'http://127.0.0.1:9/v1' } }).done;
    assert.equal(batch.code, 4, batch.stderr);
    assert.match(batch.stderr, /Cannot reach http:\/\/127\.0\.0\.1:9\/v1/);
    assert.ok(!existsSync(join(dir, 'out.jsonl')), 'nothing written');
  });

  test('status of an unknown id is 2 (not 1, a failed run); upload of a directory and of a missing file are both 2', async () => {
    const unknown = await cli(['status', '00000000-0000-4000-8000-000000000000'], { env }).done;
    assert.equal(unknown.code, 2);
    const dir = tempDir();
    mkdirSync(join(dir, 'folder'));
    const folder = await cli(['upload', 'folder'], { cwd: dir, env }).done;
    assert.equal(folder.code, 2);
    assert.equal(folder.stderr.trim(), 'difyrun upload: folder: is a directory, not a file');
    const missing = await cli(['upload', 'missing.pdf'], { cwd: dir, env }).done;
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.trim(), 'difyrun upload: missing.pdf: no such file');
  });

  test('difyrun --help documents every code', async () => {
    const help = await cli(['--help']).done;
    assert.equal(help.code, 0);
    assert.match(help.stdout, /4 could not reach or use the server/);
    assert.match(help.stdout, /\.difyrun\//);
  });
});

/** `difyrun ARGS --help` as src/cli/run-program.ts runs it, with the output captured instead of printed. */
async function helpOf(args: string[]): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const argv = [...args, '--help'];
  const program = await buildProgram(argv, { writeOut: (text) => (stdout += text), writeErr: (text) => (stderr += text) });
  try {
    await program.parseAsync(['node', 'difyrun', ...argv]);
    return { exitCode: undefined, stdout, stderr };
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return { exitCode: error.exitCode, stdout, stderr };
  }
}

describe('help, defaults and advice', () => {
  test('numeric defaults show as numbers; serve does not default to 5001 (self-hosted Dify)', async () => {
    const batch = await helpOf(['batch']);
    assert.match(batch.stdout, /\(default: 5\)/);
    assert.doesNotMatch(batch.stdout, /\(default: "\d+"\)/);
    const serve = await helpOf(['serve']);
    assert.match(serve.stdout, /\(default: 5090\)/);
    assert.doesNotMatch(serve.stdout, /default: "?5001/);
  });

  test("every command's help: exit code 4 only for the server, 5 only for expectations; no empty or quoted defaults", async () => {
    // In-process (the program main.ts runs, its output captured): 15 spawns cost ~5 s of CPU.
    // The spawned CLI's --help and exit 0 are checked above and below.
    const commands = ['batch', 'run', 'status', 'stop', 'logs', 'upload', 'info', 'params', 'init', 'export', 'report', 'diff', 'serve', 'worker'];
    const helps = [];
    for (const args of [[], ...commands.map((name) => [name])]) helps.push(await helpOf(args));
    for (const [index, help] of helps.entries()) {
      const name = index === 0 ? 'difyrun' : commands[index - 1];
      assert.equal(help.exitCode, 0, `${name}: ${help.stderr}`);
      assert.match(help.stdout, /^Usage: difyrun/, `${name}: the help was captured`);
      const text = help.stdout.replace(/\s+/g, ' ');
      const codes = /Exit codes: (.*?)\.(?: |$)/.exec(text)?.[1] ?? '';
      for (const item of codes.split(/ · /)) {
        if (item.startsWith('4 ')) assert.match(item, /^4 could not reach or use the server/, `${name}: "${item}"`);
        if (item.startsWith('5 ')) assert.match(item, /expect/, `${name}: "${item}"`);
      }
      assert.doesNotMatch(help.stdout, /\(default: \[\]\)|\(default: "/, `${name}: an empty list or a quoted value as a default`);
    }
  });

  test('after init --local the suggested batch command keeps --local', async () => {
    const dir = tempDir();
    const init = await cli(['init', '--local', TRIAGE, '-o', 'reviews.csv'], { cwd: dir }).done;
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, new RegExp(`then: difyrun batch --local ${TRIAGE.replace(/[/.]/g, '\\$&')} -i reviews\\.csv -o results\\.jsonl`));
  });

  test('a key rejected from --api-key names --api-key, not DIFY_API_KEY', async () => {
    const rejected = await cli(['info', '--api-key', 'app-wrong'], { env: { DIFY_API_BASE_URL: server.baseURL } }).done;
    assert.equal(rejected.code, 3);
    assert.match(rejected.stderr, /The API key was rejected by .* — check --api-key$/m);
    assert.doesNotMatch(rejected.stderr, /DIFY_API_KEY\n?$/);
    const fromDotEnv = tempDir();
    writeFileSync(join(fromDotEnv, '.env'), `DIFY_API_KEY=app-wrong\nDIFY_API_BASE_URL=${server.baseURL}\n`);
    const dotEnv = await cli(['info'], { cwd: fromDotEnv }).done;
    assert.match(dotEnv.stderr, /— check DIFY_API_KEY in \.env$/m);
  });
});

describe('start-up', () => {
  // A module-load hook logs every file the CLI loads: --version and --help must load no command
  // module, and a command loads its own module but not the server or the batch executor.
  const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.LOADED_LOG, url + '\\n');
  return next(url, context);
}`;
  function loadedBy(args: string[]): string[] {
    const dir = tempDir();
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister(new URL('./hooks.mjs', import.meta.url));\n");
    const log = join(dir, 'loaded.txt');
    const result = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), ...cliEntry({ modules: true }), ...args], {
      encoding: 'utf8',
      env: { ...process.env, LOADED_LOG: log },
    });
    assert.equal(result.status, 0, result.stderr);
    return readFileSync(log, 'utf8').trim().split('\n');
  }

  test('--version and --help load no command module; status --help loads neither the server nor the batch executor', () => {
    for (const args of [['--version'], ['--help']]) {
      const loaded = loadedBy(args);
      assert.ok(
        loaded.some((url) => /\/cli\/main\.[jt]s$/.test(url)),
        'the hook saw the CLI load',
      );
      assert.deepEqual(
        loaded.filter((url) => /\/(cli\/commands|server|batch|client)\//.test(url)),
        [],
        args[0],
      );
    }
    const status = loadedBy(['status', '--help']);
    assert.ok(status.some((url) => /\/cli\/commands\/inspect\.[jt]s$/.test(url)));
    assert.deepEqual(
      status.filter((url) => /\/(server|batch\/run-batch)/.test(url)),
      [],
    );
  });
});

describe('output', () => {
  test('tables pad by display width, so CJK columns line up', () => {
    const text = table(
      ['NAME', 'STATUS'],
      [
        ['レビュー', 'ok'],
        ['abc', 'ok'],
      ],
    );
    const [, first, second] = text.split('\n');
    assert.equal(stringWidth(first!.slice(0, first!.indexOf('ok'))), stringWidth(second!.slice(0, second!.indexOf('ok'))));
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  test('run on a terminal shows the streamed outputs once', { skip: !hasScript && 'needs script(1) for a terminal' }, async () => {
    const slow = await startServer({ workflow: TWO_OUTPUTS, port: 0, llm: { tokensPerSecond: 200 } });
    try {
      const entry = process.env.DIFYRUN_TEST_CLI ? `node ${process.env.DIFYRUN_TEST_CLI}` : `node --import tsx ${resolve('src/cli/main.ts')}`;
      const command = `${entry} run --input text=Hello 2>/dev/null`;
      // Asynchronously: the server runs in this process and must keep answering meanwhile.
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NO_COLOR: '1', DIFY_API_KEY: slow.apiKey, DIFY_API_BASE_URL: slow.baseURL },
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const [code] = (await once(child, 'close')) as [number | null];
      assert.equal(code, 0, stdout);
      const shown = stdout.replace(/\r/g, '');
      assert.equal(shown.split('Echo: Hello').length, 2, `the reply once:\n${shown}`);
      assert.doesNotMatch(shown, /"reply"|reply:/, 'not repeated as JSON or labelled');
    } finally {
      await slow.close();
    }
  });
});
