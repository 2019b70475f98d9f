/**
 * Streaming run: typed events as they happen, text as a typewriter, the result at the end.
 *   npx tsx examples/streaming-workflow.ts review="The battery died after two days" rating=1
 * CLI: difyrun run --input review="The battery died after two days" --input rating=1
 */
import { dify, inputsFromArgs, user } from './_client.js';

const stream = dify.workflows.stream({ inputs: inputsFromArgs({ review: 'The battery died after two days', rating: '1' }), user });
for await (const event of stream) {
  switch (event.event) {
    case 'workflow_started':
      console.error(`▶ run ${event.workflow_run_id} (task ${event.task_id})`);
      break;
    case 'node_finished':
      console.error(`  ${event.data.title} — ${event.data.status} (${event.data.elapsed_time.toFixed(3)} s)`);
      break;
    case 'text_chunk':
      process.stdout.write(event.data.text);
      break;
    case 'workflow_finished':
      console.log(`\n■ ${event.data.status}: ${JSON.stringify(event.data.outputs)}`);
      break;
    case 'unknown':
      console.error(`  (event ${event.name} passed through)`);
      break;
    default:
      break;
  }
}
console.error(`${stream.eventCount} events, ${stream.pingCount} pings`);
