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
  #offsets = new Int32Array(1024);
  #lengths = new Int32Array(1024);
  #states = new Int32Array(1024);
  #count = 0;
  #slots = new Int32Array(2048).fill(EMPTY);
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();

  get size(): number {
    return this.#count;
  }

  /** The state stored for `id`, or undefined when the id is absent. */
  get(id: string): number | undefined {
    const bytes = this.#encoder.encode(id);
    const slot = this.#find(bytes, hash(bytes));
    const entry = this.#slots[slot]!;
    return entry === EMPTY ? undefined : this.#states[entry];
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Sets the state of `id`; returns the previous state (undefined when new). */
  set(id: string, state: number): number | undefined {
    const bytes = this.#encoder.encode(id);
    const h = hash(bytes);
    let slot = this.#find(bytes, h);
    const existing = this.#slots[slot]!;
    if (existing !== EMPTY) {
      const previous = this.#states[existing];
      this.#states[existing] = state;
      return previous;
    }
    if ((this.#count + 1) * 2 > this.#slots.length) {
      this.#grow();
      slot = this.#find(bytes, h);
    }
    const entry = this.#append(bytes, state);
    this.#slots[slot] = entry;
    return undefined;
  }

  /** Every id with its state, in insertion order. */
  *entries(): Generator<[string, number]> {
    for (let i = 0; i < this.#count; i++) {
      const start = this.#offsets[i]!;
      yield [this.#decoder.decode(this.#arena.subarray(start, start + this.#lengths[i]!)), this.#states[i]!];
    }
  }

  #find(bytes: Uint8Array, h: number): number {
    const mask = this.#slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = this.#slots[slot]!;
      if (entry === EMPTY || this.#equals(entry, bytes)) return slot;
    }
  }

  #equals(entry: number, bytes: Uint8Array): boolean {
    if (this.#lengths[entry] !== bytes.length) return false;
    const start = this.#offsets[entry]!;
    for (let i = 0; i < bytes.length; i++) if (this.#arena[start + i] !== bytes[i]) return false;
    return true;
  }

  #append(bytes: Uint8Array, state: number): number {
    if (this.#arenaUsed + bytes.length > this.#arena.length) {
      const bigger = new Uint8Array(Math.max(this.#arena.length * 2, this.#arenaUsed + bytes.length));
      bigger.set(this.#arena.subarray(0, this.#arenaUsed));
      this.#arena = bigger;
    }
    if (this.#count === this.#offsets.length) {
      this.#offsets = growInt32(this.#offsets);
      this.#lengths = growInt32(this.#lengths);
      this.#states = growInt32(this.#states);
    }
    const entry = this.#count++;
    this.#arena.set(bytes, this.#arenaUsed);
    this.#offsets[entry] = this.#arenaUsed;
    this.#lengths[entry] = bytes.length;
    this.#states[entry] = state;
    this.#arenaUsed += bytes.length;
    return entry;
  }

  #grow(): void {
    this.#slots = new Int32Array(this.#slots.length * 2).fill(EMPTY);
    const mask = this.#slots.length - 1;
    for (let entry = 0; entry < this.#count; entry++) {
      const start = this.#offsets[entry]!;
      let slot = hash(this.#arena.subarray(start, start + this.#lengths[entry]!)) & mask;
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

/** FNV-1a, 32-bit. */
function hash(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
