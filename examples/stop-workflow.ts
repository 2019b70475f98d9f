/**
 * Stop a streaming run from the client: stream.stop() sends the task id and user to
 * POST /workflows/tasks/{task_id}/stop; the stream then ends with status "stopped".
 *   npx tsx examples/stop-workflow.ts
 * CLI: difyrun stop TASK_ID --user difyrun-example   (Ctrl-C during `difyrun run` does the same)
 */
import { dify, inputsFromArgs, user } from './_client.js';

const stream = dify.workflows.stream({ inputs: inputsFromArgs({ review: 'A long review to summarise. '.repeat(20), rating: '4' }), user });
for await (const event of stream) {
  if (event.event === 'workflow_started') {
    console.log(`started run ${event.workflow_run_id}; stopping task ${event.task_id}`);
    console.log('stop:', await stream.stop());
  }
  if (event.event === 'workflow_finished') console.log(`finished: ${event.data.status} (${event.data.error ?? 'no error'})`);
}
