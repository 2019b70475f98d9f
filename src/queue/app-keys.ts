/**
 * The API keys a worker holds, from its own environment: DIFY_API_KEY, plus any number more
 * in DIFY_API_KEYS (comma- or whitespace-separated). They stay in this process; Redis only
 * ever sees their fingerprints.
 */
import { keyFingerprint } from './keys.js';

export class KeyRing {
  readonly #byFingerprint = new Map<string, string>();

  constructor(apiKeys: Iterable<string>) {
    for (const key of apiKeys) this.#byFingerprint.set(keyFingerprint(key), key);
  }

  static fromEnv(env: Record<string, string | undefined>): KeyRing {
    const listed = (env.DIFY_API_KEYS ?? '').split(/[\s,]+/);
    return new KeyRing([env.DIFY_API_KEY ?? '', ...listed].map((key) => key.trim()).filter((key) => key !== ''));
  }

  get size(): number {
    return this.#byFingerprint.size;
  }

  get fingerprints(): string[] {
    return [...this.#byFingerprint.keys()];
  }

  /** The key with this fingerprint, if this worker has it. */
  keyFor(fingerprint: string): string | undefined {
    return this.#byFingerprint.get(fingerprint);
  }
}
