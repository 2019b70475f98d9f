/** The one file-type table (src/protocol/file-types.ts) gives Dify 1.13's detection. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectFileType, fileTypeForName, FILE_EXTENSIONS, mimeTypeForName } from '../../src/protocol/file-types.js';

test('mpga is audio and webm video, as on Dify (the server and batch disagreed)', () => {
  assert.equal(fileTypeForName('voice.mpga'), 'audio');
  assert.equal(fileTypeForName('clip.webm'), 'video');
  assert.equal(mimeTypeForName('clip.webm'), 'video/webm');
  assert.ok(FILE_EXTENSIONS.audio.includes('mpga') && !FILE_EXTENSIONS.video.includes('mpga'));
});

test('by extension first (all-lower or all-upper case), then by MIME type, else custom', () => {
  assert.equal(detectFileType('PNG'), 'image');
  assert.equal(detectFileType('Png', 'application/octet-stream'), 'custom');
  assert.equal(detectFileType('doc', 'application/msword'), 'custom', 'not a document on a default (non-Unstructured) Dify');
  assert.equal(detectFileType('xml', 'text/xml'), 'document');
  assert.equal(fileTypeForName('https://example.com/a/report.PDF?x=1'), 'document');
  assert.equal(fileTypeForName('README'), 'custom');
});
