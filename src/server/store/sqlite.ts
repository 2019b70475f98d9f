/**
 * `--data-dir`: runs (which are also the logs), end users and uploads in an embedded SQLite
 * database (SQLite compiled to WebAssembly: no native binary to download), uploaded bytes as
 * files under server-chosen names. Run detail and logs survive a restart.
 *
 * Writes are grouped: a run is recorded when it starts and when it finishes, and the records
 * of one event-loop turn are committed in one transaction, so the server keeps thousands of
 * runs per second. Reads see pending writes.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sqlite3 from 'node-sqlite3-wasm';
import { matchesKeyword, type LogFilter, type RunRecord, type RunStore, type UploadRecord } from './types.js';
import { randomUUID } from 'node:crypto';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  user TEXT NOT NULL,
  status TEXT NOT NULL,
  inputs TEXT NOT NULL,
  outputs TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_time ON runs (created_ms);
CREATE INDEX IF NOT EXISTS runs_by_user ON runs (user, created_ms);
CREATE TABLE IF NOT EXISTS end_users (session_id TEXT PRIMARY KEY, id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS uploads (id TEXT PRIMARY KEY, record TEXT NOT NULL);
`;

/** What a run that was executing when the server stopped becomes on the next start. */
export const INTERRUPTED_RUN_ERROR = 'The local server stopped while this run was running.';

export class DataDirError extends Error {
  override name = 'DataDirError';
}

export class SqliteStore implements RunStore {
  readonly #db: sqlite3.Database;
  readonly #uploadsDir: string;
  readonly #lockPath: string;
  readonly #pending = new Map<string, RunRecord>();
  #flushScheduled = false;
  /** New end users, written with the next group of runs (not every user is kept in memory: a batch has one per row). */
  readonly #pendingEndUsers = new Map<string, string>();
  readonly #getEndUser: sqlite3.Statement;
  readonly #putEndUser: sqlite3.Statement;
  readonly #putRun: sqlite3.Statement;
  readonly #getRun: sqlite3.Statement;

  private constructor(dir: string) {
    this.#uploadsDir = join(dir, 'uploads');
    this.#lockPath = join(dir, 'difyrun.lock');
    this.#db = new sqlite3.Database(join(dir, 'difyrun.db'));
    this.#db.exec(`PRAGMA journal_mode=TRUNCATE; PRAGMA synchronous=NORMAL; ${SCHEMA}`);
    this.#db.function(
      'keyword_matches',
      (id, inputs, outputs, user, keyword) => (matchesKeyword(String(id), String(inputs), String(outputs), String(user), String(keyword)) ? 1 : 0),
      { deterministic: true },
    );
    this.#putRun = this.#db.prepare(
      `INSERT INTO runs (id, created_ms, user, status, inputs, outputs, record) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET status = excluded.status, outputs = excluded.outputs, record = excluded.record`,
    );
    this.#getRun = this.#db.prepare('SELECT record FROM runs WHERE id = ?');
    this.#getEndUser = this.#db.prepare('SELECT id FROM end_users WHERE session_id = ?');
    this.#putEndUser = this.#db.prepare('INSERT OR IGNORE INTO end_users (session_id, id) VALUES (?, ?)');
    this.#failInterruptedRuns();
  }

  /** Opens (creating) the data dir; refuses one that another running server holds. */
  static open(where: string): SqliteStore {
    const dir = resolve(where);
    try {
      mkdirSync(join(dir, 'uploads'), { recursive: true });
    } catch (error) {
      throw new DataDirError(`--data-dir ${dir}: cannot create it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    takeLock(join(dir, 'difyrun.lock'), dir);
    try {
      return new SqliteStore(dir);
    } catch (error) {
      rmSync(join(dir, 'difyrun.lock'), { force: true });
      throw new DataDirError(`--data-dir ${dir}: cannot open difyrun.db (${(error as Error).message})`);
    }
  }

  putRun(run: RunRecord): void {
    this.#pending.set(run.id, run);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  getRun(id: string): RunRecord | undefined {
    const pending = this.#pending.get(id);
    if (pending) return pending;
    const row = this.#getRun.get([id]);
    return row ? parseRecord(row.record) : undefined;
  }

  listRuns(filter: LogFilter): { total: number; runs: RunRecord[] } {
    this.#flush();
    const where = ['1 = 1'];
    const values: (string | number)[] = [];
    const add = (condition: string, value: string | number) => {
      where.push(condition);
      values.push(value);
    };
    if (filter.status) add('status = ?', filter.status);
    if (filter.user !== undefined) add('user = ?', filter.user);
    if (filter.before !== undefined) add('created_ms < ?', filter.before);
    if (filter.after !== undefined) add('created_ms > ?', filter.after);
    if (filter.keyword) add('keyword_matches(id, inputs, outputs, user, ?)', filter.keyword);
    const clause = where.join(' AND ');
    const total = Number(this.#db.get(`SELECT COUNT(*) AS n FROM runs WHERE ${clause}`, values)!.n);
    const rows = this.#db.all(`SELECT record FROM runs WHERE ${clause} ORDER BY created_ms DESC, rowid DESC LIMIT ? OFFSET ?`, [
      ...values,
      filter.limit,
      (filter.page - 1) * filter.limit,
    ]);
    return { total, runs: rows.map((row) => parseRecord(row.record)) };
  }

  endUserId(user: string): string {
    const known = this.#pendingEndUsers.get(user) ?? this.#getEndUser.get([user])?.id;
    if (known !== undefined) return String(known);
    const id = randomUUID();
    this.#pendingEndUsers.set(user, id);
    this.#scheduleFlush();
    return id;
  }

  putUpload(upload: UploadRecord): void {
    if (upload.bytes instanceof Uint8Array) throw new Error('SqliteStore keeps upload bytes on disk: write them to uploadPath(id) first');
    this.#db.run('INSERT INTO uploads (id, record) VALUES (?, ?)', [upload.id, JSON.stringify(upload)]);
  }

  getUpload(id: string): UploadRecord | undefined {
    const row = this.#db.get('SELECT record FROM uploads WHERE id = ?', [id]);
    if (!row) return undefined;
    // The bytes live under this data dir wherever it is now; a file deleted by hand is gone.
    const path = this.uploadPath(id);
    return existsSync(path) ? { ...(JSON.parse(String(row.record)) as UploadRecord), bytes: { path } } : undefined;
  }

  /** Server-chosen names (the file id): nothing of the client's filename reaches the file system. */
  uploadPath(id: string): string {
    return join(this.#uploadsDir, id);
  }

  close(): void {
    if (!this.#db.isOpen) return;
    this.#flush();
    this.#putRun.finalize();
    this.#getRun.finalize();
    this.#getEndUser.finalize();
    this.#putEndUser.finalize();
    this.#db.close();
    rmSync(this.#lockPath, { force: true });
  }

  #flush(): void {
    this.#flushScheduled = false;
    if ((this.#pending.size === 0 && this.#pendingEndUsers.size === 0) || !this.#db.isOpen) return;
    const runs = [...this.#pending.values()];
    const endUsers = [...this.#pendingEndUsers];
    this.#pending.clear();
    this.#pendingEndUsers.clear();
    this.#db.exec('BEGIN');
    try {
      for (const [user, id] of endUsers) this.#putEndUser.run([user, id]);
      for (const run of runs)
        this.#putRun.run([run.id, run.createdAtMs, run.user, run.status, JSON.stringify(run.inputs), JSON.stringify(run.outputs ?? {}), JSON.stringify(run)]);
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #failInterruptedRuns(): void {
    const rows = this.#db.all("SELECT record FROM runs WHERE status = 'running'");
    for (const row of rows) {
      const run = parseRecord(row.record);
      if (run.stoppedAtMs !== undefined) continue; // stopped, and like Dify still recorded as running
      this.putRun({ ...run, status: 'failed', error: INTERRUPTED_RUN_ERROR, finished_at: run.finished_at ?? Math.floor(Date.now() / 1000) });
    }
    this.#flush();
  }
}

/** Reads a stored record; those written before the record took the wire field names are renamed. */
function parseRecord(text: unknown): RunRecord {
  const record = JSON.parse(String(text)) as RunRecord & Record<string, unknown>;
  if (!('workflowId' in record)) return record;
  const { workflowId, elapsedTime, totalTokens, totalSteps, exceptionsCount, createdAt, finishedAt, ...rest } = record;
  return {
    ...rest,
    workflow_id: workflowId,
    elapsed_time: elapsedTime,
    total_tokens: totalTokens,
    total_steps: totalSteps,
    exceptions_count: exceptionsCount,
    created_at: createdAt,
    finished_at: finishedAt,
  } as RunRecord;
}

/** One server per data dir: a lock file with the owner's pid; a dead owner's lock is taken over. */
function takeLock(path: string, dir: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new DataDirError(`--data-dir ${dir}: cannot write a lock file (${(error as NodeJS.ErrnoException).code})`);
      const owner = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new DataDirError(`--data-dir ${dir} is in use by another difyrun server (pid ${owner}${owner === process.pid ? ', this process' : ''})`);
      }
      rmSync(path, { force: true }); // stale: its owner is gone
      // So is any lock it held inside SQLite: node-sqlite3-wasm locks with a directory beside the
      // database, which a process killed mid-write leaves behind ("database is locked" forever).
      rmSync(join(dir, 'difyrun.db.lock'), { recursive: true, force: true });
    }
  }
  throw new DataDirError(`--data-dir ${dir}: cannot take the lock`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
