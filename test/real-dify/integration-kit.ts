/**
 * The real Dify 1.13.2 kit (../shared/real-dify) for the integration suite: finds it, uses the
 * running instance or starts it with setup.sh, and reads the app keys from apps.json.
 * `realDifyKit()` returns a skip reason (one line) instead when the kit is absent or cannot be
 * set up for reasons outside this project (no root, a registry unreachable).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
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
  return readApps(dir, root);
}

/** The kit as its apps.json describes it; a skip reason when the file or the echo app is missing. */
function readApps(dir: string, root: string): Kit | string {
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

/**
 * Where other kit instances live (the benchmark's 4 workers, the concurrency-cap test): one root,
 * started with the settings each needs, so only the first start is cold (migrations: ~5 min on
 * a loaded machine); a change of settings is a warm restart.
 */
export const SECOND_KIT = {
  root: process.env['REAL_DIFY_SECOND_ROOT'] ?? '/tmp/real-dify-4w',
  ports: { api: 5811, postgres: 55442, redis: 56389, sandbox: 8195 },
};

export interface KitInstanceOptions {
  /** Its own REAL_DIFY_ROOT (state, logs, database). */
  root: string;
  /** Its own ports (the shared kit has 5801, 55432, 56379, 8194). */
  ports: { api: number; postgres: number; redis: number; sandbox: number };
  /** Kit settings (CELERY_WORKER_AMOUNT, APP_MAX_ACTIVE_REQUESTS, …). */
  settings: Record<string, string>;
}

export interface KitInstance extends Kit {
  /** How long setup.sh took (a few seconds when it was already up). */
  setupMs: number;
  /** Stops it (stop.sh by PID file: only this instance's processes). */
  stop(): void;
}

/**
 * Another instance of the kit, beside the shared one (which others use and is never restarted):
 * its own root and ports, no dify-sandbox (the echo app needs none). Started with setup.sh,
 * stopped and restarted when it runs with other settings; a skip reason when it cannot start.
 */
export function kitInstance(options: KitInstanceOptions): KitInstance | string {
  const dir = findKitDir();
  if (!dir) return 'skipped: ../shared/real-dify (the real Dify kit) is absent';
  const env = {
    ...process.env,
    REAL_DIFY_ROOT: options.root,
    REAL_DIFY_API_PORT: String(options.ports.api),
    REAL_DIFY_PG_PORT: String(options.ports.postgres),
    REAL_DIFY_REDIS_PORT: String(options.ports.redis),
    REAL_DIFY_SANDBOX_PORT: String(options.ports.sandbox),
    REAL_DIFY_SANDBOX: '0',
    ...options.settings,
  };
  const stop = () => void spawnSync('bash', [join(dir, 'stop.sh')], { env, stdio: 'ignore', timeout: 120_000 });
  const configFile = join(options.root, 'state', 'config.env');
  const running = existsSync(configFile) ? readFileSync(configFile, 'utf8') : '';
  if (Object.entries(options.settings).some(([key, value]) => !running.includes(`${key}=${value}\n`))) stop();
  const began = Date.now();
  const setup = spawnSync('bash', [join(dir, 'setup.sh')], { env, encoding: 'utf8', timeout: 15 * 60_000 });
  if (setup.status !== 0) {
    const last = `${setup.stderr ?? ''}${setup.stdout ?? ''}`.trim().split('\n').pop() ?? `exit ${setup.status}`;
    return `skipped: a second kit instance (${options.root}) could not be set up (${last.slice(0, 200)})`;
  }
  const kit = readApps(dir, options.root);
  return typeof kit === 'string' ? kit : { ...kit, setupMs: Date.now() - began, stop };
}

function isUp(dir: string): boolean {
  return spawnSync('bash', [join(dir, 'status.sh')], { stdio: 'ignore', timeout: 60_000 }).status === 0;
}

/** A name unique to this test run, for users and keywords that logs can be filtered by. */
export function uniqueTag(label: string): string {
  return `it-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/**
 * The CLI compiled file by file (esbuild, the layout of dist/) into node_modules/.cache, so the
 * suite runs today's source at the speed of the built CLI: spawning it through tsx costs
 * several seconds a command on a loaded machine.
 */
export async function buildCli(): Promise<string> {
  const outdir = resolve('node_modules', '.cache', 'difyrun-it', String(process.pid));
  rmSync(outdir, { recursive: true, force: true });
  const { build } = await import('esbuild');
  const sources = listTs(resolve('src'));
  await build({ entryPoints: sources, outdir, outbase: resolve('src'), format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  process.on('exit', () => rmSync(outdir, { recursive: true, force: true }));
  return join(outdir, 'cli', 'main.js');
}

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listTs(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns the built CLI with only the given DIFY_* settings (the developer's own never leak in). */
export function spawnCli(
  entry: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): { child: ChildProcess; done: Promise<CliResult> } {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env))
    if (key.startsWith('DIFY_') || ['MAX_RETRIES', 'TIMEOUT', 'INITIAL_RETRY_DELAY', 'MAX_RETRY_DELAY'].includes(key)) delete env[key];
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [entry, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolveDone) => child.on('close', (code, signal) => resolveDone({ code, signal, stdout, stderr })));
  return { child, done };
}

/** Resolves with the first stdout line that matches, from a child still running. */
export function lineMatching(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) {
        child.stdout!.off('data', onData);
        resolveLine(line);
      }
    };
    child.stdout!.on('data', onData);
    child.on('close', () => reject(new Error(`exited before printing ${pattern}: ${buffered.slice(-500)}`)));
  });
}
