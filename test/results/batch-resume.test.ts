/** The batch side of the results loop: checks on each line, exit 5, a resume that notices changed rows and new workflow versions. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer } from '../../src/server/index.js';
import { batchInProcess, defaultConfig, readOutput, tempDir } from '../helpers/batch-harness.js';

const dir = tempDir('difyrun-results-batch-');
const V1 = 'examples/workflows/review-triage.yml';
const V2 = 'examples/workflows/review-triage-v2.yml';

const csv = (r2: string) =>
  [
    'id,review,rating,expect:sentiment,expect_regex:summary',
    'r1,Nice enough,4,positive,^\\[marketing\\]',
    `r2,"${r2}",1,negative,^\\[support\\]`,
    'r3,Okay I guess,3,neutral,',
  ].join('\n');

test('checks recorded per line; a changed row runs again; a new version is noticed; --rerun-older-versions', async () => {
  const input = join(dir, 'in.csv');
  const output = join(dir, 'out.jsonl');
  writeFileSync(input, csv('Broken after the update'));
  const v1 = await startServer({ workflow: V1, port: 0 });
  const v2 = await startServer({ workflow: V2, port: 0 });
  try {
    const first = await batchInProcess(v1, defaultConfig(input, output));
    assert.equal(first.exitCode, 0, first.stderr);
    const lines = readOutput(output);
    assert.deepEqual(lines.map((line) => (line.assertions as { pass: boolean }[]).map((a) => a.pass)).sort(), [[true], [true, true], [true, true]]);
    assert.ok(lines.every((line) => typeof line.workflow_id === 'string' && /^[0-9a-f]{16}$/.test(String(line.input_fingerprint))));
    assert.match(readFileSync(output, 'utf8').split('\n')[0]!, /"workflow_id":"[^"]+","input_fingerprint":"[0-9a-f]{16}"\}$/);
    assert.equal((lines[0]!.inputs as Record<string, unknown>)['expect:sentiment'] !== undefined, true, 'expectations stay with the row');

    // An edited row runs again; the others are skipped. An edited expectation alone does not re-run.
    writeFileSync(input, csv('Broken after the update, twice').replace('r3,Okay I guess,3,neutral,', 'r3,Okay I guess,3,neutral,Okay'));
    const second = await batchInProcess(v1, defaultConfig(input, output, { quiet: false }));
    assert.equal(second.summary!.rows_to_process, 1);
    assert.match(second.stderr, /1 row whose inputs changed since it succeeded: running again/);
    assert.equal(readOutput(output).length, 4);

    // Version 2 of the workflow behind the same output: said at the first outcome.
    writeFileSync(input, csv('Broken after the update, three times'));
    const third = await batchInProcess(v2, defaultConfig(input, output, { quiet: false }));
    assert.match(
      third.stderr,
      /Dify now runs workflow version [\w-]+; 3 rows in the output came from other versions \([\w-]+: 3\); run again with --rerun-older-versions/,
    );
    const fourth = await batchInProcess(v2, defaultConfig(input, output, { quiet: false, rerunOlderVersions: true }));
    assert.equal(fourth.summary!.rows_to_process, 2, 'the two rows v1 produced');
    assert.equal(fourth.exitCode, 5, 'v2 calls "Nice enough" (score 0.5) neutral: every row succeeded, a check failed');
    assert.deepEqual(fourth.summary!.checks, { rows_passed: 1, rows: 2, assertions_passed: 2, assertions: 3 });
    assert.match(fourth.stderr, /checks passed: 1\/2 \(50\.0%\) rows, 2\/3 \(66\.7%\) assertions/);
    const all = await batchInProcess(v2, defaultConfig(input, output, { rerunAll: true }));
    assert.equal(all.summary!.rows_to_process, 3);
  } finally {
    await v1.close();
    await v2.close();
  }
});

test('a row whose expectation is not valid is recorded as failed without a run, naming the column', async () => {
  const input = join(dir, 'bad.csv');
  const output = join(dir, 'bad.jsonl');
  writeFileSync(input, 'id,review,rating,expect_regex:summary\nr1,Fine,4,(unclosed\nr2,Fine,4,[z-a]\n');
  const server = await startServer({ workflow: V1, port: 0 });
  try {
    const result = await batchInProcess(server, defaultConfig(input, output));
    assert.equal(result.exitCode, 1);
    const lines = readOutput(output);
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.equal((line.error as { code: string }).code, 'invalid_input');
      assert.match((line.error as { message: string }).message, /^column "expect_regex:summary": not a valid regular expression/);
      assert.equal(line.attempts, 0);
    }
  } finally {
    await server.close();
  }
});

test("a version known before any run (--local's file) is noticed even when no row needs to run, and --rerun-older-versions uses it", async () => {
  const input = join(dir, 'known.csv');
  const output = join(dir, 'known.jsonl');
  writeFileSync(input, csv('Broken after the update'));
  const v1 = await startServer({ workflow: V1, port: 0 });
  const v2 = await startServer({ workflow: V2, port: 0 });
  try {
    assert.equal((await batchInProcess(v1, defaultConfig(input, output, { knownWorkflowVersion: v1.app.workflowId }))).exitCode, 0);
    const same = await batchInProcess(v1, defaultConfig(input, output, { quiet: false, knownWorkflowVersion: v1.app.workflowId }));
    assert.doesNotMatch(same.stderr, /Dify now runs/);
    // The bug: a different workflow at the same output said only "Nothing to do".
    const other = await batchInProcess(v2, defaultConfig(input, output, { quiet: false, knownWorkflowVersion: v2.app.workflowId }));
    assert.equal(other.summary!.rows_to_process, 0);
    assert.ok(
      other.stderr.includes(`Dify now runs workflow version ${v2.app.workflowId}; 3 rows in the output came from other versions (${v1.app.workflowId}: 3)`),
      other.stderr,
    );
    const rerun = await batchInProcess(v2, defaultConfig(input, output, { quiet: false, rerunOlderVersions: true, knownWorkflowVersion: v2.app.workflowId }));
    assert.equal(rerun.summary!.rows_to_process, 3);
    assert.ok(
      readOutput(output)
        .slice(-3)
        .every((line) => line.workflow_id === v2.app.workflowId),
    );
  } finally {
    await v1.close();
    await v2.close();
  }
});
