/**
 * Values produced during a run, addressed by Dify selectors: [node_id, var, ...path].
 * A round of an iteration or loop works in a child pool: it sees everything outside, and
 * what its nodes produce stays in the round.
 */
import type { Selector } from '../dsl/types.js';

export class VariablePool {
  readonly #values = new Map<string, Record<string, unknown>>();
  /** Owners whose variables an assigner may change (a loop's variables); node outputs are read-only. */
  readonly #assignable = new Set<string>();

  constructor(private readonly parent?: VariablePool) {}

  child(): VariablePool {
    return new VariablePool(this);
  }

  set(owner: string, values: Record<string, unknown>): void {
    this.#values.set(owner, values);
  }

  /** A loop's variables: values an assigner inside the loop may change. */
  setVariables(owner: string, values: Record<string, unknown>): void {
    this.#values.set(owner, values);
    this.#assignable.add(owner);
  }

  /** True when the owner produced its values in this pool itself (not an outer one). */
  hasOwn(owner: string): boolean {
    return this.#values.has(owner);
  }

  /** True once the owner (a node, sys, env) has produced its values, here or in an outer pool. */
  has(owner: string): boolean {
    return this.#values.has(owner) || (this.parent?.has(owner) ?? false);
  }

  /** The value at a selector, or undefined when any step is missing. */
  get(selector: Selector): unknown {
    const [owner, ...path] = selector;
    let value: unknown = this.#values.has(owner!) ? this.#values.get(owner!) : this.parent?.get([owner!]);
    for (const key of path) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  }

  /** Changes one variable in the pool that holds its owner (a loop's variables, changed by an assigner inside the loop). */
  assign(selector: Selector, value: unknown): boolean {
    const [owner, name] = selector;
    const values = this.#assignable.has(owner!) ? this.#values.get(owner!) : undefined;
    if (values && name !== undefined && name in values) {
      this.#values.set(owner!, { ...values, [name]: value });
      return true;
    }
    return this.parent?.assign(selector, value) ?? false;
  }

  /**
   * Replaces `{{#node_id.var#}}` references in free text (LLM prompts) with their values;
   * objects are written as JSON, missing values as empty strings.
   */
  renderReferences(text: string): string {
    return text.replace(/\{\{#([^#{}]+?)#\}\}/g, (_match, path: string) => {
      const value = this.get(path.split('.'));
      if (value === undefined || value === null) return '';
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  }
}
