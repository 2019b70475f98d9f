/** Results files with every kind of row a report must show, written like difyrun batch writes them. */
import { writeFileSync } from 'node:fs';
import { resultLine } from './helpers.js';

export const XSS = '<img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script><!--';

/**
 * `count` rows: every 10th failed (two error codes), every 7th with a check that fails, latency
 * and tokens varying, one row with hostile HTML in its output and one with a long text.
 * `variant` B changes some outputs and fixes or breaks some checks, for a compare.
 */
export function writeResults(path: string, count: number, variant: 'A' | 'B' = 'A'): { failed: number; checksFailed: number } {
  const lines: string[] = [];
  let failed = 0;
  let checksFailed = 0;
  for (let i = 1; i <= count; i++) {
    const id = `row-${i}`;
    const fails = i % 10 === 0;
    const label = variant === 'B' && i % 4 === 0 ? 'neutral' : i % 7 === 0 ? 'negative' : 'positive';
    const answer =
      i === 3
        ? XSS
        : i === 5
          ? `long ${'lorem ipsum '.repeat(400)}`
          : `The answer for ${id} is ${label}${variant === 'B' && i % 3 === 0 ? ' (revised wording)' : ''}.`;
    if (fails) failed++;
    else if (label !== 'positive') checksFailed++;
    lines.push(
      resultLine(id, {
        status: fails ? 'failed' : 'success',
        inputs: { id, question: `question ${i}`, 'expect:label': 'positive' },
        outputs: fails ? null : { answer, label, meta: { i, tags: ['a', 'b'] } },
        error: fails
          ? {
              code: i % 20 === 0 ? 'timeout' : 'workflow_failed',
              message: i % 20 === 0 ? 'no response in 300 s' : `node "llm" failed: quota ${i % 3}`,
              http_status: null,
            }
          : null,
        latency_ms: 200 + ((i * 37) % 900) + (i % 50 === 0 ? 5000 : 0) + (variant === 'B' ? 40 : 0),
        total_tokens: fails ? null : 100 + ((i * 13) % 400),
        total_price: fails ? null : (100 + ((i * 13) % 400)) * 0.000002,
        executed_at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + i * 100).toISOString(),
      }),
    );
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { failed, checksFailed: checksFailed + failed };
}
