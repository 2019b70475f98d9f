/**
 * Run logs: one page, or every page lazily with iterateLogs().
 *   npx tsx examples/get-workflow-logs.ts
 * CLI: difyrun logs --status succeeded --limit 5   |   difyrun logs --all --json
 */
import { dify } from './_client.js';

const page = await dify.workflows.logs({ limit: 5 });
console.log(`${page.total} runs in total; newest ${page.data.length}:`);
for (const log of page.data) {
  console.log(`  ${new Date(log.created_at * 1000).toISOString()}  ${log.workflow_run.id}  ${log.workflow_run.status}`);
}
let failed = 0;
for await (const log of dify.workflows.iterateLogs({ status: 'failed', limit: 100 })) {
  if (failed++ < 3) console.log(`  failed: ${log.workflow_run.id} ${log.workflow_run.error ?? ''}`);
}
console.log(`${failed} failed runs`);
