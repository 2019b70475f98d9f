/**
 * Exit codes shared by every difyrun command and by runBatch, documented in `difyrun --help`
 * and the README. The CLI turns errors into them in one place: exitCodeFor (src/cli/command-kit.ts).
 */
export const EXIT = {
  ok: 0,
  /** Some rows / the run failed (or the run was stopped). */
  failed: 1,
  /** Usage or input error: a bad option, file, row, or an id the server does not know. */
  usage: 2,
  /** Auth, app or quota error that stopped the work. */
  auth: 3,
  /** Could not reach or use the server: connection refused, DNS, timeout, no Dify API at the URL, 5xx, busy. */
  server: 4,
  /** Every row ran, but expectations (expect… input columns) failed; for diff: rows regressed. */
  checks: 5,
  interrupted: 130,
} as const;

/** The table printed by `difyrun --help` (the README has the same one). */
export const EXIT_CODES_HELP = `Exit codes: 0 success · 1 some rows / the run failed · 2 usage or input error (bad option,
file, row, unknown id) · 3 auth, app or quota error · 4 could not reach or use the server ·
5 every row ran but expected outputs (expect… columns) did not all match; diff: rows regressed ·
130 interrupted (Ctrl-C).`;
