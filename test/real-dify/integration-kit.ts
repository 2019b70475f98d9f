/**
 * The real Dify 1.13.2 kit (../shared/real-dify) for the integration suite: finds it, uses the
 * running instance or starts it with setup.sh, and reads the app keys from apps.json.
 * `realDifyKit()` returns a skip reason (one line) instead when the kit is absent or cannot be
 * set up for reasons outside this project (no root, a registry unreachable).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface KitApp {
  name: string;
  apiKey: string;
  baseURL: string;
  appId: string;
}

export interface Kit {
  dir: string;
  root: string;
  baseURL: string;
  app(name: string): KitApp;
}

/** The kit directory: $REAL_DIFY_KIT, else ../shared/real-dify next to this checkout or, from a git worktree, next to the main checkout. */
export function findKitDir(): string | undefined {
  const candidates = [process.env['REAL_DIFY_KIT'], resolve('..', 'shared', 'real-dify')];
  try {
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    candidates.push(resolve(dirname(common), '..', 'shared', 'real-dify'));
  } catch {
    // Not a git checkout (a tarball): only the first two places apply.
  }
  return candidates.find((dir): dir is string => dir !== undefined && existsSync(join(dir, 'setup.sh')));
}

let cached: Promise<Kit | string> | undefined;

/** The running kit, started if it is down; a one-line skip reason when it cannot be had. */
export function realDifyKit(): Promise<Kit | string> {
  cached ??= Promise.resolve().then(openKit);
  return cached;
}

function openKit(): Kit | string {
  const dir = findKitDir();
  if (!dir) return 'real-Dify suite skipped: ../shared/real-dify (the real Dify kit) is absent';
  const root = process.env['REAL_DIFY_ROOT'] ?? '/tmp/real-dify';
  if (!isUp(dir)) {
    process.stderr.write(`real-dify: the kit is down; starting it with ${dir}/setup.sh (a warm start takes about 75 s)\n`);
    const setup = spawnSync('bash', [join(dir, 'setup.sh')], { encoding: 'utf8', timeout: 15 * 60_000 });
    if (setup.status !== 0 || !isUp(dir)) {
      const last = `${setup.stderr ?? ''}${setup.stdout ?? ''}`.trim().split('\n').pop() ?? `exit ${setup.status}`;
      return `real-Dify suite skipped: the kit could not be set up, which is outside this project (${last.slice(0, 200)})`;
    }
  }
  const appsFile = join(root, 'apps.json');
  if (!existsSync(appsFile)) return `real-Dify suite skipped: the kit is up but ${appsFile} is missing`;
  const apps = JSON.parse(readFileSync(appsFile, 'utf8')) as Record<string, { base_url: string; api_key: string; app_id: string }>;
  const echo = apps['difyrun-echo'];
  if (!echo) return `real-Dify suite skipped: ${appsFile} has no difyrun-echo app`;
  return {
    dir,
    root,
    baseURL: echo.base_url,
    app(name) {
      const app = apps[name];
      if (!app) throw new Error(`the kit has no app named ${name} (apps.json: ${Object.keys(apps).join(', ')})`);
      return { name, apiKey: app.api_key, baseURL: app.base_url, appId: app.app_id };
    },
  };
}

function isUp(dir: string): boolean {
  return spawnSync('bash', [join(dir, 'status.sh')], { stdio: 'ignore', timeout: 60_000 }).status === 0;
}

/** A name unique to this test run, for users and keywords that logs can be filtered by. */
export function uniqueTag(label: string): string {
  return `it-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}
