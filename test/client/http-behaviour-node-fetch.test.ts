/**
 * The whole HTTP contract of http-behaviour.test.ts (errors, retries, "never sent" refusals,
 * aborts, idle deadlines, dropped streams) through the node:http fetch the CLI and the batch use
 * (src/node/http-fetch.ts) instead of the global fetch.
 */
process.env['DIFYRUN_TEST_FETCH'] = 'node';
await import('./http-behaviour.test.js');
