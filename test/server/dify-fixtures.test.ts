/**
 * Optional check against Dify's own DSL fixtures (../shared/dify-fixtures), whose
 * descriptions state the expected outputs. Skips cleanly when the folder is absent.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { DifyClient, type WorkflowInputs } from '../../src/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

const DIR = new URL('../../../shared/dify-fixtures/', import.meta.url).pathname;
const present = existsSync(DIR);

const CASES: [file: string, inputs: WorkflowInputs, outputs: Record<string, unknown>][] = [
  ['simple_passthrough_workflow.yml', { query: 'echo 世界 🎉' }, { query: 'echo 世界 🎉' }],
  ['conditional_hello_branching_workflow.yml', { query: 'well hello there' }, { true: 'well hello there' }],
  ['conditional_hello_branching_workflow.yml', { query: 'goodbye' }, { false: 'goodbye' }],
  ['conditional_parallel_code_execution_workflow.yml', { switch: 1 }, { 1: 'Code 1', 2: 'Code 2', 3: null }],
  ['conditional_parallel_code_execution_workflow.yml', { switch: '2' }, { 1: null, 2: 'Code 2', 3: 'Code 3' }],
  ['dual_switch_variable_aggregator_workflow.yml', { switch1: 1, switch2: 1 }, { group1: 'switch 1 on', group2: 'switch 2 on' }],
  ['dual_switch_variable_aggregator_workflow.yml', { switch1: 0, switch2: 1 }, { group1: 'switch 1 off', group2: 'switch 2 on' }],
  ['end_node_without_value_type_field_workflow.yml', { query: 'x' }, { query: 'x' }],
];

describe('real Dify DSL fixtures', { skip: present ? false : `${DIR} not present` }, () => {
  const servers = new Map<string, RunningServer>();
  after(async () => {
    for (const server of servers.values()) await server.close();
  });
  for (const [file, inputs, outputs] of CASES) {
    test(`${file} ${JSON.stringify(inputs)}`, async () => {
      let server = servers.get(file);
      if (!server) {
        server = await startServer({ workflow: DIR + file, port: 0 });
        servers.set(file, server);
      }
      const dify = new DifyClient({ apiKey: server.apiKey, baseURL: server.baseURL });
      const blocking = await dify.workflows.run({ inputs, user: 'fixtures' });
      assert.equal(blocking.data.status, 'succeeded', blocking.data.error ?? '');
      assert.deepEqual(blocking.data.outputs, outputs);
      const streamed = await dify.workflows.runViaStream({ inputs, user: 'fixtures' });
      assert.deepEqual(streamed.data.outputs, outputs);
    });
  }
});
