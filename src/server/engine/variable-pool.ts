/** Values produced during a run, addressed by Dify selectors: [node_id, var, ...path]. */
import type { Selector } from '../dsl/types.js';

export class VariablePool {
  readonly #values = new Map<string, Record<string, unknown>>();

  set(owner: string, values: Record<string, unknown>): void {
    this.#values.set(owner, values);
  }

  /** The value at a selector, or undefined when any step is missing. */
  get(selector: Selector): unknown {
    const [owner, ...path] = selector;
    let value: unknown = this.#values.get(owner!);
    for (const key of path) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
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
