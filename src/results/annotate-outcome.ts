/** What the results loop adds to a batch's outcome line: the input fingerprint and the row's checks. */
import type { OutcomeRecord } from '../batch/record/outcome.js';
import { isExpectationColumn } from './expectations/columns.js';
import { evaluateExpectations } from './expectations/evaluate.js';
import { inputFingerprint } from './fingerprint.js';

/** `outcome` with `input_fingerprint` (of `values`, the row's columns) and, when it has expect… columns, `assertions`. */
export function annotateOutcome(outcome: OutcomeRecord, values: Record<string, unknown>): OutcomeRecord {
  const annotated: OutcomeRecord = { ...outcome, input_fingerprint: inputFingerprint(values) };
  if (Object.keys(values).some(isExpectationColumn)) annotated.assertions = evaluateExpectations(values, outcome.outputs);
  return annotated;
}
