/**
 * The fuzz run: cases compiled in a pool of worker threads (each with a
 * heap limit and a wall-clock limit), every `runEvery`-th successful compile
 * then built and run on the host against the reference, and a summary of
 * the outcomes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type CaseInput, type CaseResult, FAILURES, type Outcome, runCase, threadCpuMs } from './case.js';
import { hostRun } from './hostrun.js';
import { type InputKind, makeCase } from './mutate.js';

export interface FuzzOptions {
  readonly seed: number;
  readonly cases: number;
  readonly inputs: InputKind | 'all';
  /** Only these case indices (replay); default 0..cases-1. */
  readonly only?: readonly number[];
  /** Worker threads (0: compile in this thread, the time limit then checked after the fact). */
  readonly workers: number;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  /** One in this many successful compiles is built and run on the host (0: none). */
  readonly runEvery: number;
  /** Graphs with more work (MACs + tensor elements) or more ops than this are not run on the host. */
  readonly maxRunWork: number;
  readonly maxRunOps: number;
  /** Progress lines (e.g. to stderr). */
  readonly log?: (line: string) => void;
}

export const DEFAULT_OPTIONS: Omit<FuzzOptions, 'seed' | 'cases'> = {
  inputs: 'all',
  workers: 2,
  timeoutMs: 5_000,
  memoryMb: 512,
  runEvery: 20,
  maxRunWork: 50_000_000,
  maxRunOps: 400,
};

export type HostOutcome = 'host-match' | 'host-mismatch' | 'host-error' | 'run-skipped';
export const HOST_FAILURES: readonly HostOutcome[] = ['host-mismatch', 'host-error'];

export interface CaseRecord {
  readonly index: number;
  readonly kind: InputKind;
  readonly mutator: string;
  readonly from: string;
  readonly target: string;
  readonly bytes: number;
  readonly result: CaseResult;
  /** Set when a first attempt timed out and the case was tried again in a fresh worker. */
  readonly retried?: boolean;
  host?: { outcome: HostOutcome; message: string; ms: number };
}

export interface Failure {
  readonly index: number;
  readonly kind: InputKind;
  readonly mutator: string;
  readonly from: string;
  readonly target: string;
  readonly outcome: Outcome | HostOutcome;
  readonly message: string;
  readonly stack?: string;
  readonly replay: string;
}

export interface Summary {
  readonly seed: number;
  readonly cases: number;
  readonly inputs: string;
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly outcomes: Record<string, number>;
  /** kind/mutator → outcome → count. */
  readonly byMutator: Record<string, Record<string, number>>;
  readonly exitCodes: Record<string, number>;
  readonly host: Record<HostOutcome, number>;
  readonly slowest: { index: number; ms: number; cpuMs?: number; kind: string; mutator: string }[];
  readonly retriedAfterTimeout: number;
  /** The most frequent rejection messages, numbers and paths masked. */
  readonly topMessages: { message: string; count: number }[];
  readonly failures: Failure[];
}

type Limits = Pick<FuzzOptions, 'timeoutMs' | 'memoryMb'>;

/** One worker thread, replaced after a timeout, a crash or an out-of-memory kill. */
class Slot {
  private worker: Worker | undefined;
  private served = 0;
  constructor(
    private readonly url: URL,
    private readonly limits: Limits,
  ) {}

  /** The worker thread's /proc stat file, once it has said it (undefined: not Linux, or not yet). */
  private stat: string | undefined;
  /** Its CPU time when it was ready (module loading done). */
  private readyCpu: number | undefined;
  /** It has loaded its modules and said so. */
  private ready = false;

  private spawn(): Worker {
    const w = new Worker(this.url, {
      resourceLimits: { maxOldGenerationSizeMb: this.limits.memoryMb, maxYoungGenerationSizeMb: 64, stackSizeMb: 4 },
      stdout: true,
      stderr: true,
    });
    this.stat = undefined;
    this.readyCpu = undefined;
    this.ready = false;
    w.once('message', (m: { stat?: string }) => {
      this.ready = true;
      this.stat = m.stat;
      this.readyCpu = threadCpuMs(m.stat);
    });
    return w;
  }

  run(input: CaseInput): Promise<CaseResult> {
    // A fresh worker every 500 cases, so nothing builds up across cases.
    if (this.worker && this.served >= 500) this.close();
    if (!this.worker) this.worker = this.spawn();
    const w = this.worker;
    this.served++;
    const t0 = performance.now();
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: CaseResult, kill: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        if (kill) this.close();
        resolve(r);
      };
      const ms = () => performance.now() - t0;
      // The limit is the worker thread's CPU time where /proc tells it (other load on the machine then does not
      // count), with wall time capped at WALL_FACTOR times the limit; elsewhere wall time.
      const limit = this.limits.timeoutMs;
      let cpu0: number | undefined;
      const cpu = () => {
        const c = threadCpuMs(this.stat);
        const base = cpu0 ?? this.readyCpu; // a case sent before the worker was ready counts from then
        return c === undefined || base === undefined ? undefined : c - base;
      };
      const check = () => {
        const c = cpu();
        // A worker still loading its modules on a busy machine: its case has not started.
        if (!this.ready && ms() < WALL_FACTOR * limit) {
          timer = setTimeout(check, 100);
          return;
        }
        if (c === undefined || c >= limit || ms() >= WALL_FACTOR * limit) {
          const spent = c === undefined ? `${Math.round(ms())} ms` : `${Math.round(c)} ms of CPU time (${Math.round(ms())} ms wall)`;
          finish({ outcome: 'hang', exitCode: -1, message: `no result after ${spent}; the limit is ${limit} ms`, ms: ms() }, true);
        } else timer = setTimeout(check, Math.max(50, limit - c));
      };
      let timer = setTimeout(check, limit);
      const onMessage = (m: { result?: CaseResult }) => {
        if (m.result) finish(m.result, false);
      };
      const onError = (e: Error & { code?: string }) =>
        finish(
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? { outcome: 'oom', exitCode: -1, message: `over the ${this.limits.memoryMb} MB heap limit: ${e.message}`, ms: ms() }
            : { outcome: 'crash', exitCode: -1, message: `worker error: ${e.message}`, stack: e.stack, ms: ms() },
          true,
        );
      const onExit = (code: number) => finish({ outcome: 'crash', exitCode: -1, message: `worker exited with code ${code}`, ms: ms() }, true);
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage({ id: this.served, input });
      cpu0 = threadCpuMs(this.stat);
    });
  }

  close(): void {
    if (this.worker) void this.worker.terminate();
    this.worker = undefined;
    this.served = 0;
  }
}

const WORKER_URL = new URL('./worker.js', import.meta.url);
/** Wall-clock cap of a case, in multiples of its CPU-time limit. */
const WALL_FACTOR = 6;

export async function fuzz(opts: FuzzOptions): Promise<Summary> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const scratch = mkdtempSync(join(tmpdir(), 'mobilec-fuzz-'));
  const indices = opts.only ?? Array.from({ length: opts.cases }, (_, k) => k);
  const records: CaseRecord[] = new Array(indices.length);
  const limits: Limits = { timeoutMs: opts.timeoutMs, memoryMb: opts.memoryMb };
  const slots = Array.from({ length: opts.workers }, () => new Slot(WORKER_URL, limits));
  let next = 0;
  let finished = 0;

  const compile = async (slot: Slot | undefined, dir: string, pos: number): Promise<void> => {
    const c = makeCase(opts.seed, indices[pos]!, opts.inputs);
    const input: CaseInput = { kind: c.kind, target: c.target, bytes: c.bytes, dir };
    let result: CaseResult;
    let retried = false;
    if (slot) {
      result = await slot.run(input);
      // A case over the time limit is tried once more in a fresh worker (its own directory: the old worker
      // may still be stopping); two timeouts make a hang.
      if (result.outcome === 'hang') {
        retried = true;
        const fresh = new Slot(WORKER_URL, limits);
        result = await fresh.run({ ...input, dir: `${dir}-retry` });
        fresh.close();
      }
    } else {
      result = runCase(input);
      const spent = result.cpuMs ?? result.ms;
      if (spent > opts.timeoutMs) result = { ...result, outcome: 'hang', message: `took ${Math.round(spent)} ms of CPU time (limit ${opts.timeoutMs} ms)` };
    }
    const { bytes, ...meta } = c;
    records[pos] = { index: meta.index, kind: meta.kind, mutator: meta.mutator, from: meta.from, target: meta.target, bytes: bytes.length, result, retried };
    finished++;
    if (finished % 250 === 0) log(`fuzz: ${finished}/${indices.length} cases (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  };

  try {
    if (slots.length === 0) {
      for (let pos = 0; pos < indices.length; pos++) await compile(undefined, join(scratch, 'w0'), pos);
    } else {
      await Promise.all(
        slots.map(async (slot, w) => {
          for (let pos = next++; pos < indices.length; pos = next++) await compile(slot, join(scratch, `w${w}`), pos);
        }),
      );
    }
    for (const s of slots) s.close();

    // The host libraries go to a build cache in the scratch directory, not the user's.
    const userCache = process.env.MOBILEC_CACHE_DIR;
    process.env.MOBILEC_CACHE_DIR = join(scratch, 'cache');
    try {
      await hostRuns(opts, records, scratch);
    } finally {
      if (userCache === undefined) delete process.env.MOBILEC_CACHE_DIR;
      else process.env.MOBILEC_CACHE_DIR = userCache;
    }
  } finally {
    for (const s of slots) s.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  return summarize(opts, records, performance.now() - t0);
}

/**
 * Host runs: one in every `runEvery` successful compiles, in case order; when that one is too big to
 * run (counted run-skipped), the next small enough one runs in its place.
 */
async function hostRuns(opts: FuzzOptions, records: CaseRecord[], scratch: string): Promise<void> {
  if (opts.runEvery <= 0) return;
  const oks = records.filter((r) => r.result.outcome === 'ok');
  let due = false;
  for (let j = 0; j < oks.length; j++) {
    if (j % opts.runEvery === 0) due = true;
    if (!due) continue;
    const r = oks[j]!;
    if ((r.result.work ?? 0) > opts.maxRunWork || (r.result.ops ?? 0) > opts.maxRunOps) {
      r.host = { outcome: 'run-skipped', message: `work ${r.result.work}, ${r.result.ops} ops`, ms: 0 };
      continue;
    }
    due = false;
    const h = await hostRun(makeCase(opts.seed, r.index, opts.inputs), join(scratch, 'host'));
    r.host = { outcome: h.outcome === 'match' ? 'host-match' : h.outcome === 'mismatch' ? 'host-mismatch' : 'host-error', message: h.message, ms: h.ms };
  }
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

function summarize(opts: FuzzOptions, records: CaseRecord[], wallMs: number): Summary {
  const outcomes: Record<string, number> = {};
  const byMutator: Record<string, Record<string, number>> = {};
  const exitCodes: Record<string, number> = {};
  const host: Record<HostOutcome, number> = { 'host-match': 0, 'host-mismatch': 0, 'host-error': 0, 'run-skipped': 0 };
  const failures: Failure[] = [];
  const replay = (i: number) => `npm run fuzz -- --seed ${opts.seed} --inputs ${opts.inputs} --case ${i}`;
  for (const r of records) {
    const key = `${r.kind}/${r.mutator}`;
    bump(outcomes, r.result.outcome);
    if (!byMutator[key]) byMutator[key] = {};
    bump(byMutator[key], r.result.outcome);
    if (r.result.exitCode >= 0) bump(exitCodes, String(r.result.exitCode));
    const base = { index: r.index, kind: r.kind, mutator: r.mutator, from: r.from, target: r.target, replay: replay(r.index) };
    if (FAILURES.includes(r.result.outcome)) {
      failures.push({ ...base, outcome: r.result.outcome, message: r.result.message ?? '', ...(r.result.stack !== undefined && { stack: r.result.stack }) });
    }
    if (r.host) {
      host[r.host.outcome]++;
      bump(byMutator[key]!, r.host.outcome);
      if (HOST_FAILURES.includes(r.host.outcome)) failures.push({ ...base, outcome: r.host.outcome, message: r.host.message });
    }
  }
  const messages = new Map<string, number>();
  for (const r of records) {
    if (r.result.outcome !== 'rejected') continue;
    const m = (r.result.message ?? '').replace(/\S*case\.(tflite|json)/g, '<file>').replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, '#');
    messages.set(m, (messages.get(m) ?? 0) + 1);
  }
  const topMessages = [...messages.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 12)
    .map(([message, count]) => ({ message, count }));
  const slowest = [...records]
    .sort((a, b) => (b.result.cpuMs ?? b.result.ms) - (a.result.cpuMs ?? a.result.ms))
    .slice(0, 5)
    .map((r) => ({
      index: r.index,
      ms: Math.round(r.result.ms),
      ...(r.result.cpuMs !== undefined && { cpuMs: Math.round(r.result.cpuMs) }),
      kind: r.kind,
      mutator: r.mutator,
    }));
  return {
    seed: opts.seed,
    cases: records.length,
    inputs: opts.inputs,
    wallMs: Math.round(wallMs),
    // maxRSS is in kilobytes, for the whole process (worker threads included).
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    outcomes,
    byMutator,
    exitCodes,
    host,
    slowest,
    retriedAfterTimeout: records.filter((r) => r.retried).length,
    topMessages,
    failures,
  };
}

/** The summary as a few tables. */
export function formatSummary(s: Summary): string {
  const cols: string[] = ['ok', 'rejected', ...FAILURES, ...(['host-match', ...HOST_FAILURES, 'run-skipped'] as const)];
  const rows = Object.keys(s.byMutator)
    .sort()
    .map((k) => [k, ...cols.map((c) => String(s.byMutator[k]![c] ?? 0))]);
  const total = ['total', ...cols.map((c) => String(c in s.host ? s.host[c as HostOutcome] : (s.outcomes[c] ?? 0)))];
  const all = [['input/mutator', ...cols], ...rows, total];
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const lines = [line(all[0]!), ...all.slice(1).map(line)];
  lines.push(
    `exit codes: ${Object.entries(s.exitCodes)
      .sort()
      .map(([c, n]) => `${c}: ${n}`)
      .join(', ')}`,
  );
  lines.push(`slowest (CPU time): ${s.slowest.map((x) => `case ${x.index} (${x.kind}/${x.mutator}) ${x.cpuMs ?? '?'} ms CPU, ${x.ms} ms wall`).join('; ')}`);
  lines.push(
    'most frequent rejections:',
    ...s.topMessages.map((m) => `  ${String(m.count).padStart(5)}  ${m.message.length > 150 ? `${m.message.slice(0, 150)}...` : m.message}`),
  );
  if (s.retriedAfterTimeout > 0) lines.push(`${s.retriedAfterTimeout} case(s) timed out once and were tried again`);
  lines.push(
    `fuzz: seed ${s.seed}, ${s.cases} cases (${s.inputs}), ${s.failures.length} failure(s); peak RSS ${s.peakRssMb} MB; wall ${(s.wallMs / 1000).toFixed(1)} s`,
  );
  for (const f of s.failures) {
    lines.push(`FAIL case ${f.index} (${f.kind}/${f.mutator} from ${f.from}, target ${f.target}): ${f.outcome}: ${f.message}`);
    lines.push(`  replay: ${f.replay}`);
    if (f.stack) lines.push(...f.stack.split('\n').map((l) => `  ${l}`));
  }
  return lines.join('\n');
}
