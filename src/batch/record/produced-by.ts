/**
 * What produced each row that succeeded: the fingerprint of its inputs and the workflow version
 * (Dify's `workflow_id`), read from the output's lines. A resume runs a row again when its
 * inputs changed, and says so when Dify now runs a different version than earlier lines did.
 *
 * Memory stays small for a million rows: the 64-bit fingerprint as two Int32s and a version
 * index per entry of the ledger's own id table (no second table of the same ids). difyrun writes both fields last on each line
 * (outcomeLine), so they are read from the line's end without parsing it.
 */
import { IdTable } from '../input/id-table.js';

export class ProducedBy {
  /** Ids → entries; shared with the ledger's own table when the ledger fills this (one table, not two). */
  readonly table: IdTable;
  // Per table entry; zero for ids without a success line.
  #high = new Int32Array(1024);
  #low = new Int32Array(1024);
  /** 0: no version recorded; otherwise 1 + an index into #versions. */
  #version = new Uint16Array(1024);
  readonly #versions: string[] = [];
  readonly #versionIndex = new Map<string, number>();
  /** Rows per version index (kept as lines are noted: a resume asks after every outcome). */
  readonly #rowsOf: number[] = [0];
  /** The version of the last line read that had one: the newest version the output knows. */
  latestVersion: string | undefined;
  /** The last version read from a line's bytes, and its index. */
  #lastVersionBytes = Buffer.alloc(0);
  #lastVersion = 0;

  constructor(table = new IdTable()) {
    this.table = table;
  }

  /** Notes a success line of `id` (a later line of the same id replaces it). */
  note(id: string, fingerprint: string | undefined, workflowId: string | null | undefined): void {
    let entry = this.table.entryOf(id);
    if (entry === -1) {
      this.table.set(id, 0);
      entry = this.table.lastEntry;
    }
    this.noteEntry(entry, fingerprint, workflowId);
  }

  /** `note` for an id already in the table, by its entry number. */
  noteEntry(entry: number, fingerprint: string | undefined, workflowId: string | null | undefined): void {
    const valid = fingerprint !== undefined && /^[0-9a-f]{16}$/.test(fingerprint);
    this.#set(
      entry,
      valid ? parseInt(fingerprint.slice(0, 8), 16) : 0,
      valid ? parseInt(fingerprint.slice(8), 16) : 0,
      workflowId ? this.#indexOf(workflowId) : 0,
    );
  }

  /**
   * `noteEntry` straight from the bytes of a line difyrun wrote, whose last fields are these
   * (no strings built: the version is decoded only when it differs from the last line's).
   * False, noting nothing, for any other line.
   */
  noteLine(entry: number, buffer: Buffer, start: number, end: number): boolean {
    const tail = tailOf(buffer, start, end, this.#lastVersionBytes.length);
    if (tail === undefined) return false;
    this.#set(entry, tail.high, tail.low, this.#versionAt(buffer, tail.versionStart, tail.versionEnd));
    return true;
  }

  #set(entry: number, high: number, low: number, version: number): void {
    if (entry >= this.#high.length) this.#grow(entry + 1);
    this.#high[entry] = high | 0;
    this.#low[entry] = low | 0;
    this.#rowsOf[this.#version[entry]!]!--;
    this.#rowsOf[version]!++;
    this.#version[entry] = version;
    if (version > 0) this.latestVersion = this.#versions[version - 1];
  }

  /** The version index of the bytes at [from, to): most lines repeat the last line's version. */
  #versionAt(buffer: Buffer, from: number, to: number): number {
    if (from === to) return 0;
    const last = this.#lastVersionBytes;
    if (last.length === to - from && bytesAt(buffer, from, last)) return this.#lastVersion;
    this.#lastVersionBytes = Buffer.from(buffer.subarray(from, to));
    return (this.#lastVersion = this.#indexOf(buffer.toString('utf8', from, to)));
  }

  /** Makes room for `count` entries up front (the ledger's estimate of its line count). */
  reserve(count: number): void {
    if (count > this.#high.length) this.#grow(count);
  }

  /** The recorded fingerprint of `id`, or undefined when its line had none (written by an older difyrun). */
  fingerprintOf(id: string): string | undefined {
    const entry = this.#entryWithFingerprint(id);
    return entry === -1 ? undefined : hex8(this.#high[entry]!) + hex8(this.#low[entry]!);
  }

  /** Whether `id`'s last success line recorded an input fingerprint. */
  hasFingerprint(id: string): boolean {
    return this.#entryWithFingerprint(id) !== -1;
  }

  /** Whether `id`'s recorded fingerprint is `fingerprint` (16 hex digits), compared as numbers: no string per row. */
  fingerprintIs(id: string, fingerprint: string): boolean {
    return this.fingerprintWordsAre(id, parseInt(fingerprint.slice(0, 8), 16), parseInt(fingerprint.slice(8), 16));
  }

  /** `fingerprintIs` for a fingerprint as its two 32-bit words (inputFingerprintWords). */
  fingerprintWordsAre(id: string, high: number, low: number): boolean {
    const entry = this.#entryWithFingerprint(id);
    return entry !== -1 && this.#high[entry] === (high | 0) && this.#low[entry] === (low | 0);
  }

  #entryWithFingerprint(id: string): number {
    const entry = this.table.entryOf(id);
    if (entry === -1 || entry >= this.#high.length || (this.#high[entry] === 0 && this.#low[entry] === 0)) return -1;
    return entry;
  }

  versionOf(id: string): string | undefined {
    const entry = this.table.entryOf(id);
    const index = entry === -1 || entry >= this.#version.length ? 0 : this.#version[entry]!;
    return index === 0 ? undefined : this.#versions[index - 1];
  }

  /** Rows per recorded version (by each id's latest success line). */
  versionCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    this.#versions.forEach((version, i) => {
      if (this.#rowsOf[i + 1]! > 0) counts.set(version, this.#rowsOf[i + 1]!);
    });
    return counts;
  }

  /** Room for at least `size` entries: by half again, as the id table grows. */
  #grow(size: number): void {
    const length = Math.max(size, Math.ceil(this.#high.length * 1.5));
    this.#high = copyInto(new Int32Array(length), this.#high);
    this.#low = copyInto(new Int32Array(length), this.#low);
    this.#version = copyInto(new Uint16Array(length), this.#version);
  }

  #indexOf(version: string): number {
    let index = this.#versionIndex.get(version);
    if (index === undefined && this.#versions.length < 0xfffe) {
      this.#versions.push(version);
      this.#versionIndex.set(version, (index = this.#versions.length));
      this.#rowsOf.push(0);
    }
    return index ?? 0;
  }
}

const TAIL = Buffer.from(',"input_fingerprint":"');
const VERSION = Buffer.from(',"workflow_id":');
const NULL_VALUE = Buffer.from(':null');

/**
 * The `workflow_id` and `input_fingerprint` at the end of a line difyrun wrote
 * (`…,"workflow_id":"…"|null,"input_fingerprint":"<16 hex>"}`); undefined for any other line.
 */
export function producedByOfLine(buffer: Buffer, start: number, end: number): { fingerprint: string; workflowId: string | null } | undefined {
  const tail = tailOf(buffer, start, end);
  if (tail === undefined) return undefined;
  return {
    fingerprint: buffer.toString('latin1', tail.fingerprintAt, tail.fingerprintAt + 16),
    workflowId: tail.versionEnd > tail.versionStart ? buffer.toString('utf8', tail.versionStart, tail.versionEnd) : null,
  };
}

/**
 * Where those fields are: the fingerprint's 16 hex digits at `fingerprintAt` (as two words), the
 * version's bytes at [versionStart, versionEnd) (empty for null). `likelyVersionBytes`: the
 * length of the last line's version, where this one's most likely starts (no search).
 */
function tailOf(
  buffer: Buffer,
  start: number,
  end: number,
  likelyVersionBytes = 0,
): { fingerprintAt: number; high: number; low: number; versionStart: number; versionEnd: number } | undefined {
  const tailAt = end - (TAIL.length + 16 + 2);
  if (tailAt <= start || buffer[end - 1] !== 0x7d || buffer[end - 2] !== 0x22 || !bytesAt(buffer, tailAt, TAIL)) return undefined;
  const fingerprintAt = tailAt + TAIL.length;
  const high = hexWord(buffer, fingerprintAt);
  const low = hexWord(buffer, fingerprintAt + 8);
  if (high < 0 || low < 0) return undefined;
  if (bytesAt(buffer, tailAt - 5, NULL_VALUE)) {
    return bytesAt(buffer, tailAt - 5 - VERSION.length + 1, VERSION) ? { fingerprintAt, high, low, versionStart: 0, versionEnd: 0 } : undefined;
  }
  // A quoted version (no quote or backslash in it): its opening quote, no further back than a long one would need, follows the key.
  if (buffer[tailAt - 1] !== 0x22) return undefined;
  const from = Math.max(start, tailAt - 200);
  let open = tailAt - 2 - likelyVersionBytes;
  if (likelyVersionBytes === 0 || open < from || buffer[open] !== 0x22 || !quoteFree(buffer, open + 1, tailAt - 1)) {
    open = tailAt - 2;
    while (open >= from && buffer[open] !== 0x22 && buffer[open] !== 0x5c) open--;
  }
  if (open < from || buffer[open] !== 0x22 || !bytesAt(buffer, open - VERSION.length, VERSION)) return undefined;
  return { fingerprintAt, high, low, versionStart: open + 1, versionEnd: tailAt - 1 };
}

function quoteFree(buffer: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buffer[i] === 0x22 || buffer[i] === 0x5c) return false;
  return true;
}

/** 0–15 for a lowercase hex digit's byte, else -1. */
function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/** The 8 lowercase hex digits at `at` as an unsigned number, or -1 when they are not that. */
function hexWord(buffer: Buffer, at: number): number {
  let value = 0;
  for (let i = at; i < at + 8; i++) {
    const digit = hexDigit(buffer[i]!);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** The same fields of a line that is not in difyrun's own order (edited by hand): parsed. */
export function producedByOfRecord(line: string): { fingerprint: string | undefined; workflowId: string | null } {
  const record = JSON.parse(line) as { input_fingerprint?: unknown; workflow_id?: unknown };
  return {
    fingerprint: typeof record.input_fingerprint === 'string' ? record.input_fingerprint : undefined,
    workflowId: typeof record.workflow_id === 'string' ? record.workflow_id : null,
  };
}

/** Whether `expected` is in `buffer` at `at` (a loop: a subarray view per line costs more than these few bytes). */
function bytesAt(buffer: Buffer, at: number, expected: Buffer): boolean {
  if (at < 0) return false;
  for (let i = 0; i < expected.length; i++) if (buffer[at + i] !== expected[i]) return false;
  return true;
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

function copyInto<T extends Int32Array | Uint16Array>(target: T, source: T): T {
  target.set(source);
  return target;
}
