/**
 * The README's SDK snippets run as printed against the bundled example workflow (issue 10: the
 * quick start once left out a required input and failed). Each ```ts block is transpiled, its
 * `import … from 'difyrun'` served from src/, and run with DIFY_API_KEY / DIFY_API_BASE_URL
 * pointing at the local server.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { transform } from 'esbuild';
import * as sdk from '../../src/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

const README = readFileSync('README.md', 'utf8');

/** The first ```ts block after a heading. */
function snippet(heading: string): string {
  const section = README.slice(README.indexOf(`\n${heading}\n`));
  assert.ok(section.length < README.length, `README has "${heading}"`);
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(block, `a ts block under "${heading}"`);
  return block[1]!;
}

/** Runs a snippet with the SDK's exports (as its import line names them) and `scope` in reach; returns `result`'s value. */
async function run(code: string, scope: Record<string, unknown>, result: string): Promise<unknown> {
  const imported: Record<string, unknown> = {};
  const body = code.replace(/^import \{([^}]+)\} from 'difyrun';$/gm, (_line, names: string) => {
    for (const name of names.split(',').map((n) => n.trim())) {
      assert.ok(name in sdk, `difyrun exports ${name}`);
      imported[name] = (sdk as Record<string, unknown>)[name];
    }
    return '';
  });
  const js = `${(await transform(body, { loader: 'ts', format: 'esm' })).code}\nreturn ${result};`;
  const names = [...Object.keys(imported), ...Object.keys(scope)];
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<unknown>;
  return new AsyncFunction(...names, js)(...Object.values(imported), ...Object.values(scope));
}

let server: RunningServer;
const printed: string[] = [];
const quiet = { log: (...args: unknown[]) => printed.push(args.join(' ')), error: (...args: unknown[]) => printed.push(args.join(' ')) };
// The client reads its settings from the environment, as the snippet says.
const fakeProcess = { env: process.env, stdout: { write: (text: string) => printed.push(text) > 0 } };
const saved = { key: process.env.DIFY_API_KEY, url: process.env.DIFY_API_BASE_URL };
before(async () => {
  server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0 });
  Object.assign(process.env, { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL });
});
after(async () => {
  for (const [name, value] of [
    ['DIFY_API_KEY', saved.key],
    ['DIFY_API_BASE_URL', saved.url],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await server.close();
});

test("the README's SDK quick start and Types snippets run against the bundled example", async () => {
  const quickStart = (await run(snippet('## SDK quick start'), { process: fakeProcess, console: quiet }, '{ dify, result, final, viaStream }')) as {
    dify: sdk.DifyClient;
    result: sdk.WorkflowRunResult;
    final: sdk.WorkflowRunResult;
    viaStream: sdk.WorkflowRunResult;
  };
  for (const outcome of [quickStart.result, quickStart.final, quickStart.viaStream])
    assert.equal(outcome.data.status, 'succeeded', JSON.stringify(outcome.data));
  assert.ok(
    printed.some((line) => line.includes('Score sentiment')),
    'node progress printed',
  );

  const types = (await run(snippet('### Types'), { dify: quickStart.dify, process: fakeProcess, console: quiet }, '{ run, detail }')) as {
    run: sdk.WorkflowRunResult;
    detail: { status: string; outputs: Record<string, unknown> };
  };
  assert.equal(types.run.data.status, 'succeeded', JSON.stringify(types.run.data));
  assert.equal(types.detail.status, 'succeeded');
  assert.equal(typeof types.detail.outputs['score'], 'number');
});
