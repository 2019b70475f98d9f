/**
 * Iteration (sequential, parallel, empty, the three error modes), loop (variables from a
 * variable and from constants, break conditions with references, loop-end, a break before
 * the first round), variable assigner operations and list operator, each run against the
 * events the real Dify 1.13.2 server sent for the same DSL and inputs
 * (test/fixtures/engine-node-events.json, recorded with the real-dify kit). Parallel rounds
 * finish in any order on the real server; the recording kept is one where they finished in
 * index order, which is the order the local server's in-process rounds finish in.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../../src/server/index.js';
import { streamSignatures } from '../../helpers/event-signature.js';

interface RecordedCase {
  file: string;
  inputs: Record<string, unknown>;
  events: unknown[][];
}
const RECORDED = JSON.parse(readFileSync(new URL('../../fixtures/engine-node-events.json', import.meta.url), 'utf8')) as RecordedCase[];
const WORKFLOWS = new URL('../../fixtures/workflows/', import.meta.url).pathname;

describe('iteration, loop, assigner and list operator give the real server events', () => {
  const servers = new Map<string, RunningServer>();
  after(async () => {
    for (const server of servers.values()) await server.close();
  });
  for (const recorded of RECORDED) {
    test(`${recorded.file} ${JSON.stringify(recorded.inputs)}`, async () => {
      let server = servers.get(recorded.file);
      if (!server) {
        server = await startServer({ workflow: WORKFLOWS + recorded.file, port: 0 });
        servers.set(recorded.file, server);
      }
      assert.deepEqual(await streamSignatures(server.baseURL, server.apiKey, recorded.inputs), recorded.events);
    });
  }
});
