/**
 * A compact map from row id to a 32-bit number (a state code or a line number), exact (no hashing false positives).
 *
 * A million ids as JS strings in a Map cost ~100 MB; here they cost their UTF-8 bytes plus
 * ~20 bytes each: the ids live in one growing byte arena, an open-addressing table of
 * Int32 slots points into it. This keeps `difyrun batch` flat in memory on huge inputs.
 */
const EMPTY = -1;

export class IdTable {
  #arena = new Uint8Array(1 << 16);
  #arenaUsed = 0;
  /** Where each entry's bytes start in the arena; they end where the next entry's start. */
  #offsets = new Int32Array(1024);
  #states = new Int32Array(1024);
  /** Each entry's hash, so growing the table never rehashes the ids. */
  #hashes = new Int32Array(1024);
  #count = 0;
  #slots = new Int32Array(2048).fill(EMPTY);
  /** Reused for every lookup: encoding an id allocates nothing. */
  #scratch = new Uint8Array(256);
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();

  get size(): number {
    return this.#count;
  }

  /** The state stored for `id`, or undefined when the id is absent. */
  get(id: string): number | undefined {
    const length = this.#encode(id);
    const entry = this.#slots[this.#find(this.#scratch, 0, length, hash(this.#scratch, 0, length))]!;
    return entry === EMPTY ? undefined : this.#states[entry];
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Sets the state of `id`; returns the previous state (undefined when new). */
  set(id: string, state: number): number | undefined {
    const length = this.#encode(id); // first: it may replace the scratch buffer
    return this.#put(this.#scratch, 0, length, state, true);
  }

  /** `set` for an id given as UTF-8 bytes at [from, to) of a buffer being read: no string is built. */
  setBytes(bytes: Uint8Array, from: number, to: number, state: number): number | undefined {
    return this.#put(bytes, from, to, state, true);
  }

  /** Adds `id` with `state` unless present; returns the state already there (undefined when added). One lookup, not two. */
  setIfAbsent(id: string, state: number): number | undefined {
    const length = this.#encode(id);
    return this.#put(this.#scratch, 0, length, state, false);
  }

  /** Every id with its state, in insertion order. */
  *entries(): Generator<[string, number]> {
    for (let i = 0; i < this.#count; i++) yield [this.#idAt(i), this.#states[i]!];
  }

  /** The ids whose state is `state`, in insertion order (only those are decoded). */
  idsWith(state: number): string[] {
    const ids: string[] = [];
    for (let i = 0; i < this.#count; i++) if (this.#states[i] === state) ids.push(this.#idAt(i));
    return ids;
  }

  // Ids travel as (bytes, from, to): a lookup allocates nothing, which matters a million times over.

  #put(bytes: Uint8Array, from: number, to: number, state: number, overwrite: boolean): number | undefined {
    const h = hash(bytes, from, to);
    let slot = this.#find(bytes, from, to, h);
    const existing = this.#slots[slot]!;
    if (existing !== EMPTY) {
      const previous = this.#states[existing];
      if (overwrite) this.#states[existing] = state;
      return previous;
    }
    if ((this.#count + 1) * 2 > this.#slots.length) {
      this.#grow();
      slot = this.#find(bytes, from, to, h);
    }
    this.#slots[slot] = this.#append(bytes, from, to, state, h);
    return undefined;
  }

  #idAt(entry: number): string {
    const start = this.#offsets[entry]!;
    return this.#decoder.decode(this.#arena.subarray(start, this.#end(entry)));
  }

  /** Writes the UTF-8 bytes of `id` into the scratch buffer; returns their length. ASCII, the common case, skips the encoder. */
  #encode(id: string): number {
    if (id.length * 3 > this.#scratch.length) this.#scratch = new Uint8Array(id.length * 3);
    const scratch = this.#scratch;
    for (let i = 0; i < id.length; i++) {
      const code = id.charCodeAt(i);
      if (code >= 0x80) return this.#encoder.encodeInto(id, scratch).written;
      scratch[i] = code;
    }
    return id.length;
  }

  #find(bytes: Uint8Array, from: number, to: number, h: number): number {
    const mask = this.#slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = this.#slots[slot]!;
      if (entry === EMPTY || (this.#hashes[entry] === (h | 0) && this.#equals(entry, bytes, from, to))) return slot;
    }
  }

  #end(entry: number): number {
    return entry + 1 < this.#count ? this.#offsets[entry + 1]! : this.#arenaUsed;
  }

  #equals(entry: number, bytes: Uint8Array, from: number, to: number): boolean {
    if (this.#end(entry) - this.#offsets[entry]! !== to - from) return false;
    const start = this.#offsets[entry]! - from;
    for (let i = from; i < to; i++) if (this.#arena[start + i] !== bytes[i]) return false;
    return true;
  }

  #append(bytes: Uint8Array, from: number, to: number, state: number, h: number): number {
    const length = to - from;
    if (this.#arenaUsed + length > this.#arena.length) {
      const bigger = new Uint8Array(Math.max(Math.ceil(this.#arena.length * 1.5), this.#arenaUsed + length));
      bigger.set(this.#arena.subarray(0, this.#arenaUsed));
      this.#arena = bigger;
    }
    if (this.#count === this.#offsets.length) {
      this.#offsets = growInt32(this.#offsets);
      this.#states = growInt32(this.#states);
      this.#hashes = growInt32(this.#hashes);
    }
    const entry = this.#count++;
    this.#arena.set(bytes.subarray(from, to), this.#arenaUsed);
    this.#offsets[entry] = this.#arenaUsed;
    this.#states[entry] = state;
    this.#hashes[entry] = h;
    this.#arenaUsed += length;
    return entry;
  }

  #grow(): void {
    this.#slots = new Int32Array(this.#slots.length * 2).fill(EMPTY);
    const mask = this.#slots.length - 1;
    for (let entry = 0; entry < this.#count; entry++) {
      let slot = this.#hashes[entry]! & mask;
      while (this.#slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      this.#slots[slot] = entry;
    }
  }
}

function growInt32(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

/** FNV-1a, 32-bit, of bytes[from, to). */
function hash(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
