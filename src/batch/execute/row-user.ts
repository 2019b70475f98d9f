import { createHash } from 'node:crypto';

/** The default `user` of a row: stable across runs, so the row can be found in Dify's logs. */
export function rowUser(id: string): string {
  return /^[\w.@:-]{1,64}$/.test(id) ? `difyrun-${id}` : `difyrun-${createHash('sha256').update(id).digest('hex').slice(0, 24)}`;
}
