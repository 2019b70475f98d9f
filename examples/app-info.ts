/**
 * App information and input form.
 *   npx tsx examples/app-info.ts
 * CLI: difyrun info   |   difyrun params
 */
import { inputVariables } from 'difyrun';
import { dify, user } from './_client.js';

const info = await dify.app.info({ user });
console.log(`${info.name} (${info.mode}) by ${info.author_name}: ${info.description}`);
const params = await dify.app.parameters({ user });
for (const variable of inputVariables(params)) {
  console.log(
    `  ${variable.variable} [${variable.type}]${variable.required ? ' required' : ''}${variable.options?.length ? ` one of ${variable.options.join(', ')}` : ''}`,
  );
}
