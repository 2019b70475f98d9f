/**
 * Which rows that already succeeded run again on a resume: a row whose inputs changed since it
 * ran (always: a changed row is never skipped silently), rows produced by an older workflow
 * version (--rerun-older-versions), or all of them (--rerun-all). Also watches the versions
 * Dify reports, to say as soon as it runs a different one than earlier lines came from.
 */
import { inputFingerprintWords } from '../../results/fingerprint.js';
import type { FingerprintsAhead } from '../input/fingerprints-ahead.js';
import type { InputRow } from '../input/read-rows.js';
import type { OutcomeRecord } from './outcome.js';
import type { ProducedBy } from './produced-by.js';

export interface RerunOptions {
  rerunAll: boolean;
  rerunOlderVersions: boolean;
  /** A pinned version (--workflow-id): the current one, known before any run. */
  workflowId: string | undefined;
  /** The version the server runs, when known before any run (--local's workflow file). */
  knownVersion?: string | undefined;
  /** Rows' fingerprints computed on another thread during the scan (a row it lacks is fingerprinted here). */
  ahead?: FingerprintsAhead | undefined;
}

export class RerunPolicy {
  /** Succeeded rows that run again, by reason (counted during the scan). */
  readonly counts = { changed: 0, olderVersion: 0, all: 0 };
  #counting = true;
  #told = false;
  readonly #current: string | undefined;

  constructor(
    private readonly produced: ProducedBy,
    private readonly options: RerunOptions,
  ) {
    // Without a pinned or known version, "current" is the version of the newest line: run one
    // row against a new version first, and the notice below says when that is needed.
    this.#current = options.workflowId ?? options.knownVersion ?? produced.latestVersion;
  }

  /**
   * Before anything runs: when the current version is already known (pinned, or --local's file)
   * and earlier lines came from others, the notice, so a resume with nothing to do still says so.
   */
  noticeBeforeRun(): string | undefined {
    const known = this.options.workflowId ?? this.options.knownVersion;
    return known === undefined ? undefined : this.#versionNotice(known);
  }

  /** For a row whose last line succeeded: whether it runs again. */
  runsAgain(row: InputRow): boolean {
    const reason = this.#reason(row);
    if (reason && this.#counting) this.counts[reason]++;
    return reason !== undefined;
  }

  /** The scan is over: later calls (the execution pass) are not counted again. */
  stopCounting(): void {
    this.#counting = false;
  }

  /** What a person should know before the rows run. */
  describe(): string[] {
    const lines: string[] = [];
    const { changed, olderVersion, all } = this.counts;
    if (all > 0) lines.push(`--rerun-all: running again ${rows(all)} that already succeeded`);
    if (changed > 0) lines.push(`${rows(changed)} whose inputs changed since ${changed === 1 ? 'it' : 'they'} succeeded: running again`);
    if (olderVersion > 0) lines.push(`--rerun-older-versions: running again ${rows(olderVersion)} produced by versions other than ${this.#current}`);
    return lines;
  }

  /**
   * Called with each new outcome: the first time Dify reports a version that earlier rows were
   * not produced by, returns a notice (undefined otherwise).
   */
  notice(outcome: OutcomeRecord): string | undefined {
    return this.#versionNotice(outcome.workflow_id);
  }

  #versionNotice(version: string | null | undefined): string | undefined {
    // Asked to redo them already: nothing to tell.
    if (this.#told || !version || this.options.rerunOlderVersions || this.options.rerunAll) return undefined;
    const older = [...this.produced.versionCounts()].filter(([other]) => other !== version);
    if (older.length === 0) return undefined;
    this.#told = true;
    const count = older.reduce((sum, [, n]) => sum + n, 0);
    return `Dify now runs workflow version ${version}; ${rows(count)} in the output came from other versions (${older.map(([v, n]) => `${v}: ${n}`).join(', ')}); run again with --rerun-older-versions to redo them`;
  }

  #reason(row: InputRow): 'changed' | 'olderVersion' | 'all' | undefined {
    if (this.options.rerunAll) return 'all';
    if (this.produced.hasFingerprint(row.id)) {
      const { high, low } = (this.#counting && this.options.ahead?.wordsOf(row)) || inputFingerprintWords(row.values);
      if (!this.produced.fingerprintWordsAre(row.id, high, low)) return 'changed';
    }
    if (this.options.rerunOlderVersions && this.#current !== undefined) {
      const version = this.produced.versionOf(row.id);
      if (version !== undefined && version !== this.#current) return 'olderVersion';
    }
    return undefined;
  }
}

function rows(count: number): string {
  return `${count} ${count === 1 ? 'row' : 'rows'}`;
}
