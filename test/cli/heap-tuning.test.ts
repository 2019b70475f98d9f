/** Which commands get the heap limits of src/cli/heap-tuning.ts (set before anything loads). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heapFlagsFor } from '../../src/cli/heap-tuning.js';

test('batch and worker keep their heap small; help, short commands and the server keep V8 defaults', () => {
  const tuned = ['--heap-growing-percent=100', '--expose-gc'];
  assert.deepEqual(heapFlagsFor(['batch', '-i', 'in.csv', '-o', 'out.jsonl']), tuned);
  assert.deepEqual(heapFlagsFor(['--debug', 'batch', '--local', 'wf.yml', '-i', 'in.csv']), tuned);
  assert.deepEqual(heapFlagsFor(['worker', '--queue', 'redis://127.0.0.1:6379']), tuned);
  for (const argv of [['help', 'batch'], ['batch', '--help'], ['serve', '--workflow', 'wf.yml'], ['run', '--input', 'q=batch'], ['--help'], []]) {
    assert.deepEqual(heapFlagsFor(argv), [], argv.join(' '));
  }
});
