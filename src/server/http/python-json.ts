/** `json.dumps` as Python writes it by default: ", " and ": " separators, non-ASCII escaped. */
export function pythonJsonDumps(value: unknown): string {
  return JSON.stringify(value, null, 1)
    .replace(/\n\s*/g, (match, offset: number, whole: string) => (whole[offset - 1] === '[' || whole[offset - 1] === '{' || whole[offset + match.length] === ']' || whole[offset + match.length] === '}' ? '' : ' '))
    .replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
