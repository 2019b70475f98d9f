/**
 * Fault injection: the failures real Dify produces on bad days, on demand and deterministic
 * under a seed. It sits in front of the run endpoints; the faithful path does not know it.
 *
 * Spec (JSON, or a path to a JSON file; every field optional):
 *   seed                     PRNG seed (default 1)
 *   latencyMs                per-run latency: N, {min,max} uniform, or {mean,stddev} normal; counted from the
 *                            request's arrival (reading and checking it is part of it), then the graph runs
 *   maxActiveRequests        concurrent runs; more → 400 invalid_param "Too many requests…" (as Dify's APP_MAX_ACTIVE_REQUESTS)
 *   rate429                  probability of 429 too_many_requests (run not executed)
 *   rate500                  probability of 500 internal_server_error (run not executed)
 *   rate502, rate504         probability of an HTML 502/504 from a gateway (the run DOES execute)
 *   resetRate                probability the connection is reset after the run started
 *   dropRate, dropAfterEvents  probability a stream is cut after N events (the run goes on)
 *   stallRate                probability a stream goes silent (no bytes, no pings) after its first event
 *   blockingTimeoutSeconds   blocking runs still going after N s get an HTML 504 (the run goes on)
 *   quotaRuns                after this many executed runs, 429 rate_limit_error
 *   unpublishAfterRuns       after this many executed runs the app is unpublished: runs get 400
 *                            invalid_param "Workflow not published", /parameters 400 app_unavailable
 */
import { readFileSync, existsSync } from 'node:fs';

export type Latency = number | { min: number; max: number } | { mean: number; stddev: number };

export interface FaultSpec {
  seed?: number;
  latencyMs?: Latency;
  maxActiveRequests?: number;
  rate429?: number;
  rate500?: number;
  rate502?: number;
  rate504?: number;
  resetRate?: number;
  dropRate?: number;
  dropAfterEvents?: number;
  stallRate?: number;
  blockingTimeoutSeconds?: number;
  quotaRuns?: number;
  unpublishAfterRuns?: number;
}

const KNOWN_KEYS = new Set([
  'seed',
  'latencyMs',
  'maxActiveRequests',
  'rate429',
  'rate500',
  'rate502',
  'rate504',
  'resetRate',
  'dropRate',
  'dropAfterEvents',
  'stallRate',
  'blockingTimeoutSeconds',
  'quotaRuns',
  'unpublishAfterRuns',
]);

/** A bad `--faults` spec; the message names the field at fault. */
export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

/** Parses `--faults`: inline JSON or a path to a JSON file. Throws a one-line error naming the problem. */
export function parseFaultSpec(text: string): FaultSpec {
  const source = text.trim().startsWith('{') ? text : existsSync(text) ? readFileSync(text, 'utf8') : undefined;
  if (source === undefined) throw new FaultSpecError(`--faults: "${text}" is neither JSON nor an existing file`);
  let spec: unknown;
  try {
    spec = JSON.parse(source);
  } catch (error) {
    throw new FaultSpecError(`--faults: not valid JSON (${(error as Error).message})`);
  }
  return validateFaultSpec(spec);
}

export function validateFaultSpec(spec: unknown): FaultSpec {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new FaultSpecError('--faults: expected a JSON object');
  for (const [key, value] of Object.entries(spec)) {
    if (!KNOWN_KEYS.has(key)) throw new FaultSpecError(`--faults: unknown field "${key}" (known: ${[...KNOWN_KEYS].join(', ')})`);
    if (key.startsWith('rate') || key === 'resetRate' || key === 'dropRate' || key === 'stallRate') {
      if (typeof value !== 'number' || value < 0 || value > 1) throw new FaultSpecError(`--faults: ${key} must be a probability between 0 and 1`);
    }
  }
  return spec as FaultSpec;
}

export type RunFault =
  | { kind: 'none' }
  | { kind: 'reject'; status: 429 | 500; code: string }
  | { kind: 'gateway'; status: 502 | 504 }
  | { kind: 'reset' }
  | { kind: 'drop'; afterEvents: number }
  | { kind: 'stall' };

export class FaultInjector {
  readonly spec: FaultSpec;
  readonly #random: () => number;

  constructor(spec: FaultSpec = {}) {
    this.spec = spec;
    this.#random = mulberry32(spec.seed ?? 1);
  }

  get active(): boolean {
    return Object.keys(this.spec).some((key) => key !== 'seed');
  }

  /** Decides what goes wrong with one run request (one draw per request, in arrival order). */
  decide(streaming: boolean): RunFault {
    const s = this.spec;
    const r = this.#random();
    let edge = 0;
    const hit = (p: number | undefined) => {
      edge += p ?? 0;
      return r < edge;
    };
    if (hit(s.rate429)) return { kind: 'reject', status: 429, code: 'too_many_requests' };
    if (hit(s.rate500)) return { kind: 'reject', status: 500, code: 'internal_server_error' };
    if (hit(s.rate502)) return { kind: 'gateway', status: 502 };
    if (hit(s.rate504)) return { kind: 'gateway', status: 504 };
    if (hit(s.resetRate)) return { kind: 'reset' };
    if (streaming && hit(s.dropRate)) return { kind: 'drop', afterEvents: s.dropAfterEvents ?? 2 };
    if (streaming && hit(s.stallRate)) return { kind: 'stall' };
    return { kind: 'none' };
  }

  /** The `unpublishAfterRuns` fault: past that many executed runs the app acts as unpublished. */
  isUnpublished(executedRuns: number): boolean {
    return this.spec.unpublishAfterRuns !== undefined && executedRuns >= this.spec.unpublishAfterRuns;
  }

  /** Milliseconds of latency for one run, counted from its request's arrival (run-manager.ts). */
  latencyMs(): number {
    const latency = this.spec.latencyMs;
    if (latency === undefined) return 0;
    if (typeof latency === 'number') return latency;
    if ('min' in latency) return latency.min + this.#random() * (latency.max - latency.min);
    // Box–Muller: a normal draw, clamped at zero.
    const u = Math.max(this.#random(), 1e-12);
    const v = this.#random();
    return Math.max(0, latency.mean + latency.stddev * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
}

/** A small deterministic PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gatewayPage(status: 502 | 504): string {
  const title = status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out';
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}
