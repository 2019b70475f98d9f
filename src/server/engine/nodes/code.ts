/**
 * Code: runs `main` in the sandbox with the node's named variables, then checks the result
 * against the declared outputs with Dify's limits and messages.
 */
import { isObject, namedSelectors } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector, WorkflowApp } from '../../dsl/types.js';
import { NodeError, type NodeContext, type NodeResult } from '../node-context.js';
import { CodeExecutionError } from '../sandbox/sandbox.js';
import { pythonTypeName } from '../../python-style.js';
import { defineNode } from './kind.js';

const LANGUAGES = ['javascript', 'python3'];

export interface CodeNode extends NodeBase {
  type: 'code';
  code_language: 'javascript' | 'python3';
  code: string;
  variables: { variable: string; value_selector: Selector }[];
  outputs: Record<string, { type: string; children?: unknown }>;
}

export const codeNode = defineNode<CodeNode>({
  types: ['code'],
  parse: (data, fail) => {
    const language = String(data['code_language'] ?? 'python3');
    if (!LANGUAGES.includes(language)) fail(`code_language "${language}" is not supported (supported: ${LANGUAGES.join(', ')})`);
    const outputs = isObject(data['outputs']) ? data['outputs'] : {};
    return {
      code_language: language as CodeNode['code_language'],
      code: typeof data['code'] === 'string' ? data['code'] : fail('no code'),
      variables: namedSelectors(data['variables'], fail),
      outputs: Object.fromEntries(
        Object.entries(outputs).map(([name, spec]) => [
          name,
          { type: isObject(spec) ? String(spec['type'] ?? 'string') : 'string', ...(isObject(spec) ? { children: spec['children'] } : {}) },
        ]),
      ),
    };
  },
  selectors: (node) => node.variables.map((v) => v.value_selector),
  run: (node, ctx) => runCode(node, ctx),
});

/** Dify's CODE_MAX_* defaults. */
const LIMITS = { stringLength: 80000, number: 2 ** 63, depth: 5, stringArray: 30, objectArray: 30, numberArray: 1000 };

/** True when the app has Python code nodes (the server then starts Pyodide early). */
export function usesPython(app: WorkflowApp): boolean {
  return [...app.nodes.values()].some((node) => node.type === 'code' && (node as CodeNode).code_language === 'python3');
}

async function runCode(node: CodeNode, ctx: NodeContext): Promise<NodeResult> {
  const args: Record<string, unknown> = {};
  for (const v of node.variables) args[v.variable] = ctx.pool.get(v.value_selector) ?? null;
  let result: unknown;
  try {
    result = node.code_language === 'python3' ? await ctx.sandbox.runPython(node.code, args) : await ctx.sandbox.runJavaScript(node.code, args);
  } catch (error) {
    if (error instanceof CodeExecutionError) throw new NodeError(error.message, 'CodeNodeError', { inputs: args });
    throw error;
  }
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    throw new NodeError(`Output must be a dict, got ${pythonTypeName(result)} instead.`, 'OutputValidationError');
  }
  const outputs = result as Record<string, unknown>;
  for (const [name, spec] of Object.entries(node.outputs)) {
    if (!(name in outputs)) throw new NodeError(`Output ${name} is missing.`, 'OutputValidationError');
    checkOutput(name, spec.type, outputs[name], 1);
  }
  // Only declared outputs are kept (Dify drops the rest).
  const declared = Object.keys(node.outputs);
  const kept = declared.length > 0 ? Object.fromEntries(declared.map((name) => [name, outputs[name]])) : outputs;
  return { inputs: args, outputs: kept };
}

function checkOutput(name: string, type: string, value: unknown, depth: number): void {
  if (depth > LIMITS.depth) throw new NodeError(`Depth limit ${LIMITS.depth} reached, object too deep.`, 'OutputValidationError');
  if (value === null || value === undefined) return; // Dify accepts None for any declared type
  const mismatch = (expected: string) => new NodeError(`Output ${name} must be ${expected}, got ${pythonTypeName(value)} instead.`, 'OutputValidationError');
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw mismatch('a string');
      if (value.length > LIMITS.stringLength) {
        throw new NodeError(`The length of output variable \`${name}\` must be less than ${LIMITS.stringLength} characters`, 'OutputValidationError');
      }
      return;
    case 'number':
      if (typeof value !== 'number') throw mismatch('a number');
      if (Math.abs(value) > LIMITS.number)
        throw new NodeError(
          `Output variable \`${name}\` is out of range, it must be between -9223372036854775807 and 9223372036854775807.`,
          'OutputValidationError',
        );
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw mismatch('a boolean');
      return;
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) throw mismatch('an object');
      return;
    case 'array[string]':
    case 'array[number]':
    case 'array[object]':
    case 'array[boolean]': {
      if (!Array.isArray(value)) throw mismatch(`an array`);
      const itemType = type.slice(6, -1);
      const max = itemType === 'string' ? LIMITS.stringArray : itemType === 'number' ? LIMITS.numberArray : LIMITS.objectArray;
      if (value.length > max) throw new NodeError(`The length of output variable \`${name}\` must be less than ${max} elements.`, 'OutputValidationError');
      value.forEach((item, i) => checkOutput(`${name}[${i}]`, itemType, item, depth + 1));
      return;
    }
    default:
      return;
  }
}
