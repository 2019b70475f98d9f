/**
 * Run detail by run id. Dify sends `inputs` (and on older versions `outputs`) as JSON
 * strings; the SDK always returns objects.
 *   npx tsx examples/get-workflow-run-detail.ts            (runs one first, then looks it up)
 *   npx tsx examples/get-workflow-run-detail.ts RUN_ID
 * CLI: difyrun status RUN_ID
 */
import { dify, user } from './_client.js';

const runId = process.argv[2] ?? (await dify.workflows.run({ inputs: { review: 'Nice', rating: '4' }, user })).workflow_run_id;
const detail = await dify.workflows.get(runId);
console.log(`${detail.id}: ${detail.status}, ${detail.total_steps} steps, ${detail.elapsed_time.toFixed(3)} s`);
console.log('inputs:', detail.inputs);
console.log('outputs:', detail.outputs);
