/** The results loop from the command line on the bundled example: batch → export → report → diff. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Papa from 'papaparse';
import { cli, tempDir } from '../helpers/batch-harness.js';

const dir = tempDir('difyrun-results-cli-');
const WORKFLOW = join(process.cwd(), 'examples/workflows/review-triage.yml');
const DATA = join(process.cwd(), 'examples/data/reviews-expected.csv');

test('batch the example with expectations, then export, report and diff it', async () => {
  const run = join(dir, 'run.jsonl');
  const batch = await cli(['batch', '--local', WORKFLOW, '-i', DATA, '-o', run, '--quiet']).done;
  assert.ok([0, 5].includes(batch.code!), batch.stderr);
  assert.doesNotMatch(batch.stderr, /not declared/, 'expectation columns are not inputs');

  const csv = join(dir, 'run.csv');
  const exported = await cli(['export', run, '-o', csv, '--input', DATA]).done;
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stderr, /Wrote .*run\.csv: 12 rows × \d+ columns \(UTF-8 with BOM\)/);
  const [header, ...rows] = Papa.parse<string[]>(readFileSync(csv, 'utf8').slice(1), { skipEmptyLines: true }).data;
  assert.deepEqual(
    rows.map((row) => row[0]),
    Array.from({ length: 12 }, (_, i) => `r${String(i + 1).padStart(3, '0')}`),
    'input order',
  );
  const checks = header!.indexOf('failed_checks');
  const r007 = rows.find((row) => row[0] === 'r007')!;
  assert.match(r007[checks]!, /expect:sentiment: expected "neutral", got "negative"/, 'the example has one honest miss');

  // B: the same run with one answer changed, as a new workflow version might.
  const b = join(dir, 'b.jsonl');
  writeFileSync(b, readFileSync(run, 'utf8').replace(/"sentiment":"positive"(.*"id":"r001"|)/, '"sentiment":"neutral"$1'));
  const html = join(dir, 'compare.html');
  const [report, diff, usage, help] = await Promise.all([
    cli(['report', run, b, '-o', html]).done,
    cli(['diff', run, b]).done,
    cli(['report', run, run, run, '-o', html]).done,
    cli(['diff', '--help']).done,
  ]);
  assert.match(help.stdout, /· 5 some rows regressed/, 'the help names the exit code diff returns');
  assert.equal(report.code, 0, report.stderr);
  assert.ok(existsSync(html));
  assert.equal(diff.code, 5, 'a row whose checks passed now fails: exit 5');
  assert.match(diff.stdout, /changed 1 · unchanged 11/);
  assert.match(diff.stdout, /sentiment: \[-positive-\]\{\+neutral\+\}/);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^difyrun report: report takes one results file, or two to compare; got 3\n$/);
});
