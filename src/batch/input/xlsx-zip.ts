/**
 * The parts of an .xlsx workbook (a zip of XML files), read with yauzl: the central directory
 * is read once, then each part is inflated as a stream, so a large sheet is never in memory.
 * Also the XML plumbing the parts share (saxes, names without their namespace prefix).
 */
import { posix } from 'node:path';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import yauzl, { type Entry, type ZipFile } from 'yauzl';

/** The workbook cannot be read: the message says why, for `file: message`. */
export class WorkbookError extends Error {
  override name = 'WorkbookError';
}

export interface WorkbookZip {
  has(part: string): boolean;
  /** The part's text, decoded as UTF-8, a chunk at a time. */
  text(part: string): AsyncGenerator<string>;
  close(): void;
}

export async function openZip(file: string): Promise<WorkbookZip> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(file, { autoClose: false, strictFileNames: false, decodeStrings: true });
  } catch (error) {
    throw new WorkbookError(`the workbook is damaged or incomplete: not a readable zip file (${(error as Error).message})`);
  }
  const entries = new Map<string, Entry>();
  try {
    for await (const entry of zip.eachEntry()) entries.set(entry.fileName.replace(/^\/+/, ''), entry);
  } catch (error) {
    zip.close();
    throw new WorkbookError(`the workbook is damaged or incomplete (${(error as Error).message})`);
  }
  return {
    has: (part) => entries.has(part),
    async *text(part) {
      const entry = entries.get(part);
      if (entry === undefined) throw new WorkbookError(`the workbook has no ${part}: it is damaged, or not an Excel workbook`);
      if (entry.isEncrypted()) throw new WorkbookError('the workbook is encrypted: remove its password in Excel, or save it as CSV UTF-8');
      if (!entry.canDecodeFileData())
        throw new WorkbookError(
          `${part} is compressed with a method this reader does not know (${entry.compressionMethod}): save the workbook again from Excel`,
        );
      let stream;
      try {
        stream = await zip.openReadStreamPromise(entry);
      } catch (error) {
        throw new WorkbookError(`the workbook is damaged (${part}: ${(error as Error).message})`);
      }
      const utf8 = new TextDecoder('utf-8', { fatal: true });
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) yield utf8.decode(chunk, { stream: true });
        yield utf8.decode();
      } catch (error) {
        throw new WorkbookError(`the workbook is damaged (${part}: ${(error as Error).message})`);
      } finally {
        stream.destroy();
      }
    },
    close: () => zip.close(),
  };
}

/** "x:row" → "row": strict Open XML files may prefix every element. */
export function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/** The value of the attribute with this local name (`r:id`, or `id` under any prefix). */
export function attribute(tag: SaxesTagPlain, name: string): string | undefined {
  const attributes = tag.attributes as Record<string, string>;
  if (name in attributes) return attributes[name];
  for (const key in attributes) if (localName(key) === name) return attributes[key];
  return undefined;
}

export interface XmlHandlers {
  open?(name: string, tag: SaxesTagPlain): void;
  text?(text: string): void;
  close?(name: string): void;
}

/** A saxes parser that calls the handlers with local names; `write` throws the first XML error. */
export function xmlParser(part: string, handlers: XmlHandlers): { write(text: string): void; close(): void } {
  const parser = new SaxesParser<{ xmlns: false; position: false }>({ xmlns: false, position: false });
  let failure: Error | undefined;
  parser.on('error', (error) => (failure ??= error));
  if (handlers.open) parser.on('opentag', (tag) => handlers.open!(localName(tag.name), tag));
  if (handlers.text) parser.on('text', handlers.text);
  if (handlers.close) parser.on('closetag', (tag) => handlers.close!(localName(tag.name)));
  const check = () => {
    if (failure) throw new WorkbookError(`the workbook is damaged (${part} is not well-formed XML: ${failure.message})`);
  };
  return {
    write(text) {
      parser.write(text);
      check();
    },
    close() {
      parser.close();
      check();
    },
  };
}

/** Reads a whole (small) part through the handlers. */
export async function readXml(zip: WorkbookZip, part: string, handlers: XmlHandlers): Promise<void> {
  const parser = xmlParser(part, handlers);
  for await (const text of zip.text(part)) parser.write(text);
  parser.close();
}

/** A relationship's target as a part name: relative to the part that names it, or absolute. */
export function resolvePart(from: string, target: string): string {
  if (target.startsWith('/')) return posix.normalize(target).replace(/^\/+/, '');
  return posix.normalize(posix.join(posix.dirname(from), target));
}

/** The relationships of a part (`xl/workbook.xml` → `xl/_rels/workbook.xml.rels`): id → {type, part}. */
export async function relationships(zip: WorkbookZip, of: string): Promise<Map<string, { type: string; part: string }>> {
  const rels = posix.join(posix.dirname(of), '_rels', `${posix.basename(of)}.rels`);
  const found = new Map<string, { type: string; part: string }>();
  if (!zip.has(rels)) return found;
  // of '' is the package itself: `_rels/.rels`, targets relative to the root.
  await readXml(zip, rels, {
    open(name, tag) {
      const { Id: id, Type: type, Target: target, TargetMode: mode } = tag.attributes as Record<string, string>;
      if (name === 'Relationship' && id && target && mode !== 'External') found.set(id, { type: type ?? '', part: resolvePart(of, target) });
    },
  });
  return found;
}
