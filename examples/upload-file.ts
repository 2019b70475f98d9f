/**
 * Upload a file, then pass it to a workflow's file input.
 *   npx tsx examples/upload-file.ts ./README.md
 * CLI: difyrun upload ./README.md
 */
import { uploadFromPath } from 'difyrun/node';
import { dify, user } from './_client.js';

const path = process.argv[2] ?? 'README.md';
const uploaded = await uploadFromPath(dify, path, { user });
console.log(`uploaded ${uploaded.name} (${uploaded.size} bytes, ${uploaded.mime_type}) as ${uploaded.id}`);
console.log('use it as a file input:', JSON.stringify({ type: 'document', transfer_method: 'local_file', upload_file_id: uploaded.id }));
