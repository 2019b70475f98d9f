/**
 * Where `--local` keeps runs, logs and uploads: `.difyrun/<workflow name>-<hash>/` in the
 * working directory (DIFYRUN_LOCAL_DIR moves `.difyrun`). One directory per workflow file, as
 * Dify keeps one log per app; the hash of the file's absolute path keeps two `app.yml` apart.
 * The directory carries its own `.gitignore`, so it never shows up in `git status`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { OptionError, type Env } from './environment.js';

export const LOCAL_DIR_NAME = '.difyrun';

export function localDataDir(workflow: string, env: Env, cwd = process.cwd()): string {
  const root = resolve(cwd, env.DIFYRUN_LOCAL_DIR || LOCAL_DIR_NAME);
  const path = resolve(cwd, workflow);
  const name = basename(path, extname(path)).replace(/[^\w.-]+/g, '_');
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 8);
  try {
    mkdirSync(root, { recursive: true });
    const ignore = join(root, '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '# difyrun --local data (runs, logs, uploads); safe to delete\n*\n');
  } catch (error) {
    throw new OptionError(
      `--local keeps its runs in ${root}, which cannot be created (${(error as NodeJS.ErrnoException).code}); set DIFYRUN_LOCAL_DIR to a writable directory`,
    );
  }
  return join(root, `${name}-${hash}`);
}
