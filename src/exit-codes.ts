/** Exit codes shared by every difyrun command and by runBatch (documented in --help and the README). */
export const EXIT = {
  ok: 0,
  /** Some rows / the run failed. */
  failed: 1,
  /** Usage or input error. */
  usage: 2,
  /** Auth, app or quota error that stopped the work. */
  auth: 3,
  /** Every row ran, but expectations (expect… input columns) failed; for diff: rows regressed. */
  checks: 4,
  interrupted: 130,
} as const;
