/** How Python (and so Dify) writes values: json.dumps output, type names, reprs in messages. */

/** `json.dumps` as Python writes it by default: ", " and ": " separators, non-ASCII escaped. */
export function pythonJsonDumps(value: unknown): string {
  return JSON.stringify(value, null, 1)
    .replace(/\n\s*/g, (match, offset: number, whole: string) =>
      whole[offset - 1] === '[' || whole[offset - 1] === '{' || whole[offset + match.length] === ']' || whole[offset + match.length] === '}' ? '' : ' ',
    )
    .replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Python's name for a JSON value's type (str, int, float, bool, list, dict, NoneType). */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

/** A short Python repr of a JSON value (`{'user': 'u'}`), as pydantic puts it in its messages. */
export function pythonRepr(value: unknown): string {
  const repr = reprOf(value);
  return repr.length > 60 ? `${repr.slice(0, 60)}...` : repr;
}

function reprOf(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(reprOf).join(', ')}]`;
  return `{${Object.entries(value as object)
    .map(([k, v]) => `${reprOf(k)}: ${reprOf(v)}`)
    .join(', ')}}`;
}
