/** The probe that asks Dify whether it rejected a row's files, with a request that can never run. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DifyClient } from '../../src/client/client.js';
import { BadRequestError } from '../../src/client/errors.js';
import { fileReferences, probeRejection, refusedInputs } from '../../src/batch/execute/rejection-probe.js';
import type { InputVariable } from '../../src/protocol/index.js';

const variable = (name: string, type: string): InputVariable => ({ variable: name, label: name, type: type as InputVariable['type'] });
const unknown = { type: 'document', transfer_method: 'local_file', upload_file_id: '00000000-0000-4000-8000-000000000000' } as const;
const remote = { type: 'image', transfer_method: 'remote_url', url: 'http://127.0.0.1/x.png' } as const;

function clientAnswering(message: string | undefined) {
  const sent: unknown[] = [];
  const client = {
    workflows: {
      run: async (params: unknown) => {
        sent.push(params);
        if (message === undefined) throw new Error('socket hang up');
        throw new BadRequestError({ status: 400, code: 'invalid_param', message });
      },
    },
  } as unknown as DifyClient;
  return { client, sent };
}

test('every variable but a checkbox gets a value Dify’s input check refuses', () => {
  const form = ['text-input', 'paragraph', 'select', 'number', 'file', 'file-list', 'json_object', 'checkbox'].map((type, i) => variable(`v${i}`, type));
  assert.deepEqual(refusedInputs(form), {
    v0: 0,
    v1: 0,
    v2: 0,
    v3: 'not a number',
    v4: 'not a file or object',
    v5: 'not a file or object',
    v6: 'not a file or object',
  });
  assert.equal(refusedInputs([variable('ok', 'checkbox')]), undefined, 'nothing can be refused: no probe');
});

test('file references are found in single inputs and in lists', () => {
  assert.deepEqual(fileReferences({ query: 'text', doc: unknown, pics: [remote, remote], n: 3 }), [unknown, remote, remote]);
  assert.deepEqual(fileReferences({ query: 'text', meta: { key: 'value' } }), []);
});

test('Dify’s rejection of a file reference is the row’s rejection; the probe sends the files with refused inputs', async () => {
  const { client, sent } = clientAnswering('Invalid upload file');
  const error = await probeRejection(client, { inputs: { query: 'q', doc: unknown }, user: 'u1', workflowId: undefined }, [
    variable('query', 'text-input'),
    variable('doc', 'file'),
  ]);
  assert.equal(error?.message, 'Invalid upload file');
  assert.deepEqual(sent, [{ inputs: { query: 0, doc: 'not a file or object' }, files: [unknown], user: 'u1' }]);
});

test('the refused input answering means the files are fine: nothing learnt', async () => {
  const { client } = clientAnswering("(type 'text-input') query in input form must be a string");
  assert.equal(
    await probeRejection(client, { inputs: { query: 'q', doc: unknown }, user: 'u', workflowId: undefined }, [variable('query', 'text-input')]),
    undefined,
  );
});

test('file errors that depend on the app’s upload settings, and failed requests, say nothing about the row', async () => {
  for (const message of ['File validation failed for file: a.txt', 'Number of files exceeds the maximum limit 1', undefined]) {
    const { client } = clientAnswering(message);
    assert.equal(
      await probeRejection(client, { inputs: { doc: unknown }, user: 'u', workflowId: undefined }, [variable('query', 'text-input')]),
      undefined,
      String(message),
    );
  }
});

test('not probed: a row without files, a pinned workflow version, a form with nothing to refuse', async () => {
  const { client, sent } = clientAnswering('Invalid upload file');
  const form = [variable('query', 'text-input')];
  assert.equal(await probeRejection(client, { inputs: { query: 'q' }, user: 'u', workflowId: undefined }, form), undefined);
  assert.equal(await probeRejection(client, { inputs: { doc: unknown }, user: 'u', workflowId: 'wf-1' }, form), undefined);
  assert.equal(await probeRejection(client, { inputs: { doc: unknown }, user: 'u', workflowId: undefined }, [variable('ok', 'checkbox')]), undefined);
  assert.deepEqual(sent, []);
});
