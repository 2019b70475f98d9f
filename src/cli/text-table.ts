/**
 * Aligned plain-text tables for `logs` and `params`. Its own module so that commands which
 * print no table (batch, run) do not load string-width's Unicode tables at start-up.
 */
import stringWidth from 'string-width';

/** Formats rows as an aligned plain-text table, padded by display width (CJK and emoji take two columns). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(stringWidth(title), ...rows.map((row) => stringWidth(row[i] ?? ''))));
  const pad = (cell: string, width: number) => cell + ' '.repeat(Math.max(0, width - stringWidth(cell)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => pad(cell, widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
