/**
 * Blocking run: one request, one JSON result.
 *   npx tsx examples/blocking-workflow.ts review="Great product, fast delivery" rating=5
 * CLI: difyrun run --blocking --input review="Great product, fast delivery" --input rating=5
 *
 * Dify Cloud cuts blocking requests at ~100 s; for long workflows prefer runViaStream().
 */
import { dify, inputsFromArgs, user } from './_client.js';

/** What review-triage returns (its End node's outputs); the type argument states it for the SDK. */
interface Triage {
  summary: string;
  sentiment: string;
  score: number;
}

const result = await dify.workflows.run<Triage>({ inputs: inputsFromArgs({ review: 'Great product, fast delivery', rating: '5' }), user });
console.log(`run ${result.workflow_run_id} (task ${result.task_id}): ${result.data.status} in ${result.data.elapsed_time.toFixed(2)} s`);
const outputs = result.data.outputs;
if (outputs) console.log(`${outputs.sentiment} (score ${outputs.score.toFixed(2)}): ${outputs.summary}`);
if (result.data.status !== 'succeeded') process.exitCode = 1;
