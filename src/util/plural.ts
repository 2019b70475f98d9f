/** `1 row`, `2 rows`: a count with its noun, so a one-row batch never reads "1 rows". */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
