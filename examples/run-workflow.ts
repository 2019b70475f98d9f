/**
 * The recommended way to get a result: stream under the hood (no gateway cut-off on long
 * runs, no blind retry that would bill twice) and resolve to the same result as run().
 *   npx tsx examples/run-workflow.ts review="Okay, but the manual is confusing" rating=3
 * CLI: difyrun run --json --input review="Okay, but the manual is confusing" --input rating=3
 */
import { DifyStreamError, StreamEndedError } from 'difyrun';
import { dify, inputsFromArgs, user } from './_client.js';

try {
  const result = await dify.workflows.runViaStream({ inputs: inputsFromArgs({ review: 'Okay, but the manual is confusing', rating: '3' }), user });
  console.log(result.data.status, JSON.stringify(result.data.outputs));
} catch (error) {
  if (error instanceof StreamEndedError && error.workflowRunId) {
    // The connection dropped but the run exists: look it up instead of running it again.
    const detail = await dify.workflows.get(error.workflowRunId);
    console.log(`stream dropped; run ${detail.id} is ${detail.status}`, JSON.stringify(detail.outputs));
  } else if (error instanceof DifyStreamError) {
    console.error(`workflow error${error.code ? ` (${error.code})` : ''}: ${error.message}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
