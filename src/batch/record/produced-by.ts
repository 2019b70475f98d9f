/**
 * What produced each row that succeeded: the fingerprint of its inputs and the workflow version
 * (Dify's `workflow_id`), read from the output's lines. A resume runs a row again when its
 * inputs changed, and says so when Dify now runs a different version than earlier lines did.
 *
 * Memory stays small for a million rows: an id table of slots, the 64-bit fingerprint as two
 * Int32s and a version index per slot. difyrun writes both fields last on each line
 * (outcomeLine), so they are read from the line's end without parsing it.
 */
import { IdTable } from '../input/id-table.js';

export class ProducedBy {
  readonly #slots = new IdTable();
  #high = new Int32Array(1024);
  #low = new Int32Array(1024);
  /** 0: no version recorded; otherwise 1 + an index into #versions. */
  #version = new Uint16Array(1024);
  readonly #versions: string[] = [];
  readonly #versionIndex = new Map<string, number>();
  #count = 0;
  /** The version of the last line read that had one: the newest version the output knows. */
  latestVersion: string | undefined;

  /** Notes a success line of `id` (a later line of the same id replaces it). */
  note(id: string, fingerprint: string | undefined, workflowId: string | null | undefined): void {
    this.#store(this.#slotOf(id), fingerprint, workflowId);
  }

  /** `note` for an id given as bytes of a line being read. */
  noteBytes(bytes: Uint8Array, from: number, to: number, fingerprint: string | undefined, workflowId: string | null | undefined): void {
    const next = this.#count;
    const previous = this.#slots.setBytes(bytes, from, to, next);
    if (previous !== undefined)
      this.#slots.setBytes(bytes, from, to, previous); // keep the id's slot
    else this.#grow();
    this.#store(previous ?? next, fingerprint, workflowId);
  }

  /** The recorded fingerprint of `id`, or undefined when its line had none (written by an older difyrun). */
  fingerprintOf(id: string): string | undefined {
    const slot = this.#slots.get(id);
    if (slot === undefined || (this.#high[slot] === 0 && this.#low[slot] === 0)) return undefined;
    return hex8(this.#high[slot]!) + hex8(this.#low[slot]!);
  }

  versionOf(id: string): string | undefined {
    const slot = this.#slots.get(id);
    const index = slot === undefined ? 0 : this.#version[slot]!;
    return index === 0 ? undefined : this.#versions[index - 1];
  }

  /** Rows per recorded version (by each id's latest success line). */
  versionCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (let slot = 0; slot < this.#count; slot++) {
      const index = this.#version[slot]!;
      if (index > 0) counts.set(this.#versions[index - 1]!, (counts.get(this.#versions[index - 1]!) ?? 0) + 1);
    }
    return counts;
  }

  #slotOf(id: string): number {
    const previous = this.#slots.setIfAbsent(id, this.#count);
    if (previous !== undefined) return previous;
    this.#grow();
    return this.#count - 1;
  }

  /** Makes room for one more slot (the one just added to the id table). */
  #grow(): void {
    if (this.#count === this.#high.length) {
      const size = this.#count * 2;
      this.#high = copyInto(new Int32Array(size), this.#high);
      this.#low = copyInto(new Int32Array(size), this.#low);
      this.#version = copyInto(new Uint16Array(size), this.#version);
    }
    this.#count++;
  }

  #store(slot: number, fingerprint: string | undefined, workflowId: string | null | undefined): void {
    const valid = fingerprint !== undefined && /^[0-9a-f]{16}$/.test(fingerprint);
    this.#high[slot] = valid ? parseInt(fingerprint.slice(0, 8), 16) | 0 : 0;
    this.#low[slot] = valid ? parseInt(fingerprint.slice(8), 16) | 0 : 0;
    this.#version[slot] = workflowId ? this.#indexOf(workflowId) : 0;
    if (workflowId) this.latestVersion = workflowId;
  }

  #indexOf(version: string): number {
    let index = this.#versionIndex.get(version);
    if (index === undefined && this.#versions.length < 0xfffe) {
      this.#versions.push(version);
      this.#versionIndex.set(version, (index = this.#versions.length));
    }
    return index ?? 0;
  }
}

const TAIL = Buffer.from(',"input_fingerprint":"');
const VERSION = Buffer.from(',"workflow_id":');

/**
 * The `workflow_id` and `input_fingerprint` at the end of a line difyrun wrote
 * (`…,"workflow_id":"…"|null,"input_fingerprint":"<16 hex>"}`); undefined for any other line.
 */
export function producedByOfLine(buffer: Buffer, start: number, end: number): { fingerprint: string; workflowId: string | null } | undefined {
  const tailAt = end - (TAIL.length + 16 + 2);
  if (tailAt <= start || buffer[end - 1] !== 0x7d || buffer[end - 2] !== 0x22 || !buffer.subarray(tailAt, tailAt + TAIL.length).equals(TAIL)) return undefined;
  const fingerprint = buffer.toString('latin1', tailAt + TAIL.length, end - 2);
  if (!/^[0-9a-f]{16}$/.test(fingerprint)) return undefined;
  if (buffer.subarray(tailAt - 5, tailAt).toString('latin1') === ':null') {
    return buffer.subarray(tailAt - 5 - VERSION.length + 1, tailAt - 4).equals(VERSION) ? { fingerprint, workflowId: null } : undefined;
  }
  // A quoted version: look back for its key, no further than a long id would need.
  const from = Math.max(start, tailAt - 200);
  const keyAt = buffer.lastIndexOf(VERSION, tailAt - 1);
  if (keyAt < from || buffer[keyAt + VERSION.length] !== 0x22 || buffer[tailAt - 1] !== 0x22) return undefined;
  const workflowId = buffer.toString('utf8', keyAt + VERSION.length + 1, tailAt - 1);
  return /["\\]/.test(workflowId) ? undefined : { fingerprint, workflowId };
}

/** The same fields of a line that is not in difyrun's own order (edited by hand): parsed. */
export function producedByOfRecord(line: string): { fingerprint: string | undefined; workflowId: string | null } {
  const record = JSON.parse(line) as { input_fingerprint?: unknown; workflow_id?: unknown };
  return {
    fingerprint: typeof record.input_fingerprint === 'string' ? record.input_fingerprint : undefined,
    workflowId: typeof record.workflow_id === 'string' ? record.workflow_id : null,
  };
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

function copyInto<T extends Int32Array | Uint16Array>(target: T, source: T): T {
  target.set(source);
  return target;
}
