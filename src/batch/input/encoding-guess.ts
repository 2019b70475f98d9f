/**
 * What to tell a user whose file is not in the encoding being used: the encoding the bytes
 * look like (chardet's statistical guess, kept only when it decodes them cleanly) as the flag
 * to try.
 */
import chardet from 'chardet';
import iconv from 'iconv-lite';

/** chardet's names → the --encoding to suggest (Excel on Windows writes cp1252 where chardet says ISO-8859-1). */
const SUGGEST: Record<string, string> = {
  Shift_JIS: 'shift_jis',
  'EUC-JP': 'euc-jp',
  GB18030: 'gb18030',
  Big5: 'big5',
  'EUC-KR': 'euc-kr',
  'ISO-8859-1': 'windows-1252',
  'windows-1252': 'windows-1252',
  'UTF-16LE': 'utf-16le',
  'UTF-16BE': 'utf-16be',
  'UTF-8': 'utf-8',
};

/** Display names for messages. */
const LABEL: Record<string, string> = { 'windows-1252': 'Windows-1252 (Western European)', 'utf-16le': 'UTF-16LE', 'utf-16be': 'UTF-16BE', 'utf-8': 'UTF-8' };

/** "looks like Shift_JIS: try --encoding shift_jis", or undefined when nothing fits better than `failed`. */
export function suggestEncoding(sample: Uint8Array, failed: string): string | undefined {
  const bytes = Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength);
  for (const match of chardet.analyse(bytes)) {
    const encoding = SUGGEST[match.name];
    if (encoding === undefined || match.confidence < 10) continue;
    if (iconv.encodingExists(failed) && iconv.getCodec(encoding) === iconv.getCodec(failed)) continue;
    if (!decodesCleanly(bytes, encoding)) continue;
    const label = LABEL[encoding] ?? match.name;
    return encoding === 'utf-8' ? `looks like UTF-8: leave out --encoding` : `looks like ${label}: try --encoding ${encoding}`;
  }
  return undefined;
}

function decodesCleanly(bytes: Buffer, encoding: string): boolean {
  // The sample may start or end inside a character: ignore its first and last few characters.
  const text = iconv.decode(bytes, encoding);
  const replaced = text.indexOf('\uFFFD', 2);
  return replaced === -1 || replaced >= text.length - 2;
}
