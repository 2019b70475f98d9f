/** Shared shape of a benchmark result and how it is written into BENCHMARKS.md. */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';

export interface BenchResult {
  id: string;
  title: string;
  summary: string;
  table: string[];
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
}

/** Replaces (or appends) the section of BENCHMARKS.md between this result's markers. */
export function writeSection(file: string, result: BenchResult, command: string): void {
  const start = `<!-- bench:${result.id}:start -->`;
  const end = `<!-- bench:${result.id}:end -->`;
  const body = [
    start,
    `## ${result.title}`,
    '',
    `Command: \`${command}\` — measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}.`,
    '',
    result.summary,
    '',
    ...result.table,
    end,
  ].join('\n');
  const current = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmarks\n\nNumbers written by `npm run bench`; each section names the command that produced it.\n';
  const pattern = new RegExp(`${escape(start)}[\\s\\S]*?${escape(end)}`);
  const next = pattern.test(current) ? current.replace(pattern, body) : `${current.trimEnd()}\n\n${body}\n`;
  writeFileSync(file, next);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
