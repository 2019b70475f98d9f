/**
 * A compact map from row id to a 32-bit number (a state code or a line number), exact (no hashing false positives).
 *
 * A million ids as JS strings in a Map cost ~100 MB; here they cost their UTF-8 bytes plus
 * ~16 bytes each: the ids live in one growing byte arena, an open-addressing table of
 * Int32 slots points into it. This keeps `difyrun batch` flat in memory on huge inputs.
 * Entries are numbered in insertion order (`entryOf`), so a caller can keep more per id in
 * arrays of its own instead of a second table. A caller that can estimate the final size
 * calls `reserve` first: growing by copying keeps old and new arrays alive together.
 */
const EMPTY = -1;
/** Arrays grow by half (not double): less slack at the end, and a smaller peak while both copies live. */
const GROWTH = 1.5;
/** The slot table is kept at most this full: at 0.7, linear probing cost a 1,000,000-row scan 20% more CPU. */
const MAX_LOAD = 0.5;

/**
 * The last string encoded, its UTF-8 bytes and hash, shared by every table: a row's id is
 * looked up in several tables in a row (duplicates, the ledger, what produced it), and is
 * encoded and hashed once.
 */
let scratch = new Uint8Array(256);
let lastString: string | undefined;
let lastLength = 0;
let lastHash = 0;
const encoder = new TextEncoder();

export class IdTable {
  #arena = new Uint8Array(1 << 16);
  #arenaUsed = 0;
  /** Where each entry's bytes start in the arena; they end where the next entry's start. */
  #offsets = new Int32Array(1024);
  #states = new Int32Array(1024);
  #count = 0;
  /** Open addressing with linear probing, at most MAX_LOAD full; any size (see home()). */
  #slots = new Int32Array(2048).fill(EMPTY);
  /** The entry found or added by the last lookup that wrote (`lastEntry`). */
  #lastEntry = EMPTY;
  /** The last string looked up and its entry: a second lookup of the same id costs nothing. */
  #memoId: string | undefined;
  #memoEntry = EMPTY;
  readonly #decoder = new TextDecoder();

  get size(): number {
    return this.#count;
  }

  /** The state stored for `id`, or undefined when the id is absent. */
  get(id: string): number | undefined {
    const entry = this.entryOf(id);
    return entry === EMPTY ? undefined : this.#states[entry];
  }

  /** The entry number of `id` (0 for the first id added, and so on), or -1 when it is absent. */
  entryOf(id: string): number {
    if (id === this.#memoId) return this.#memoEntry;
    encode(id);
    const entry = this.#slots[this.#find(scratch, 0, lastLength, lastHash)]!;
    this.#memoId = id;
    this.#memoEntry = entry;
    return entry;
  }

  /** The entry number of the id the last `set…` call found or added. */
  get lastEntry(): number {
    return this.#lastEntry;
  }

  /**
   * Makes room for `count` ids of about `idBytes` bytes each, so that filling the table to
   * that size copies nothing. A wrong guess costs nothing worse than growing as usual.
   */
  reserve(count: number, idBytes = 8): void {
    if (count > this.#offsets.length) {
      this.#offsets = resized(this.#offsets, count);
      this.#states = resized(this.#states, count);
    }
    const arena = Math.ceil(count * idBytes);
    if (arena > this.#arena.length) this.#arena = resized(this.#arena, arena, this.#arenaUsed);
    const slots = Math.ceil(count / MAX_LOAD);
    if (slots > this.#slots.length) this.#rehash(slots);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Sets the state of `id`; returns the previous state (undefined when new). */
  set(id: string, state: number): number | undefined {
    encode(id);
    return this.#put(scratch, 0, lastLength, state, true, lastHash);
  }

  /** `set` for an id given as UTF-8 bytes at [from, to) of a buffer being read: no string is built. */
  setBytes(bytes: Uint8Array, from: number, to: number, state: number): number | undefined {
    return this.#put(bytes, from, to, state, true, hash(bytes, from, to));
  }

  /** Adds `id` with `state` unless present; returns the state already there (undefined when added). One lookup, not two. */
  setIfAbsent(id: string, state: number): number | undefined {
    encode(id);
    return this.#put(scratch, 0, lastLength, state, false, lastHash);
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

  #put(bytes: Uint8Array, from: number, to: number, state: number, overwrite: boolean, h: number): number | undefined {
    let slot = this.#find(bytes, from, to, h);
    const existing = this.#slots[slot]!;
    if (existing !== EMPTY) {
      const previous = this.#states[existing];
      if (overwrite) this.#states[existing] = state;
      this.#lastEntry = existing;
      return previous;
    }
    if (this.#count + 1 > this.#slots.length * MAX_LOAD) {
      this.#rehash(Math.ceil(this.#slots.length * GROWTH));
      slot = this.#find(bytes, from, to, h);
    }
    this.#slots[slot] = this.#lastEntry = this.#append(bytes, from, to, state);
    this.#memoId = undefined; // a memoised miss may be this id
    return undefined;
  }

  #idAt(entry: number): string {
    const start = this.#offsets[entry]!;
    return this.#decoder.decode(this.#arena.subarray(start, this.#end(entry)));
  }

  #find(bytes: Uint8Array, from: number, to: number, h: number): number {
    const size = this.#slots.length;
    for (let slot = home(h, size); ; slot = slot + 1 === size ? 0 : slot + 1) {
      const entry = this.#slots[slot]!;
      // No stored hashes (4 bytes an id): at this load most probes end at the first slot, and a length check settles most others.
      if (entry === EMPTY || this.#equals(entry, bytes, from, to)) return slot;
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

  #append(bytes: Uint8Array, from: number, to: number, state: number): number {
    const length = to - from;
    if (this.#arenaUsed + length > this.#arena.length) {
      this.#arena = resized(this.#arena, Math.max(Math.ceil(this.#arena.length * GROWTH), this.#arenaUsed + length), this.#arenaUsed);
    }
    if (this.#count === this.#offsets.length) {
      const size = Math.ceil(this.#count * GROWTH);
      this.#offsets = resized(this.#offsets, size);
      this.#states = resized(this.#states, size);
    }
    const entry = this.#count++;
    // Ids are short: a loop beats building a subarray view for every one.
    const arena = this.#arena;
    for (let i = from, at = this.#arenaUsed; i < to; i++, at++) arena[at] = bytes[i]!;
    this.#offsets[entry] = this.#arenaUsed;
    this.#states[entry] = state;
    this.#arenaUsed += length;
    return entry;
  }

  #rehash(size: number): void {
    this.#slots = new Int32Array(size).fill(EMPTY);
    for (let entry = 0; entry < this.#count; entry++) {
      let slot = home(hash(this.#arena, this.#offsets[entry]!, this.#end(entry)), size);
      while (this.#slots[slot] !== EMPTY) slot = slot + 1 === size ? 0 : slot + 1;
      this.#slots[slot] = entry;
    }
  }
}

/** A copy of `array` with room for `size` elements (the first `used` of them kept). */
function resized<T extends Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>(array: T, size: number, used = array.length): T {
  const bigger = new (array.constructor as new (size: number) => T)(size);
  bigger.set(array.subarray(0, used));
  return bigger;
}

/** Puts the UTF-8 bytes of `id` in `scratch`, with their length and hash, unless `id` was the last string encoded. ASCII, the common case, skips the encoder. */
function encode(id: string): void {
  if (id === lastString) return;
  if (id.length * 3 > scratch.length) scratch = new Uint8Array(id.length * 3);
  let length = id.length;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code >= 0x80) {
      length = encoder.encodeInto(id, scratch).written;
      break;
    }
    scratch[i] = code;
  }
  lastString = id;
  lastLength = length;
  lastHash = hash(scratch, 0, length);
}

/**
 * The first slot to probe for hash `h` in a table of `size` slots: `h` scaled to [0, size)
 * (Lemire's multiply-and-shift), so the table can be sized to what it holds instead of the next
 * power of two: a 1,050,000-id reserve took 4,194,304 slots (16 MB) with a mask, 2,100,000 (8 MB)
 * now. FNV-1a's high bits, which this uses, mix as well as its low ones. The product is exact in
 * a double up to 2^21 slots; above that it is rounded, which moves where a hash lands (the same
 * way every time) but never to `size`.
 */
function home(h: number, size: number): number {
  return Math.floor((h * size) / 4294967296);
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
