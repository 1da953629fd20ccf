/**
 * One fuzz case: the mutated file compiled as `mobilec compile` does (load,
 * passes, codegen, output directory written), and the way it ended.
 */
import { mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareModel } from '../src/cli/prepare.js';
import { OUTPUT_FORMATS } from '../src/codegen/formats/index.js';
import { writeOutputDir } from '../src/codegen/write.js';
import { graphMacs } from '../src/model/cost.js';
import { MobilecError } from '../src/model/errors.js';
import { elementCount } from '../src/model/ir.js';
import type { InputKind } from './mutate.js';

export interface CaseInput {
  readonly kind: InputKind;
  readonly target: string;
  readonly bytes: Uint8Array;
  /** A scratch directory of this case (created, and emptied afterwards). */
  readonly dir: string;
}

/** How a case ended. ok and rejected are fine; the rest are failures. */
export type Outcome = 'ok' | 'rejected' | 'internal' | 'stack-trace' | 'multi-line' | 'hang' | 'oom' | 'crash';

export const FAILURES: readonly Outcome[] = ['internal', 'stack-trace', 'multi-line', 'hang', 'oom', 'crash'];

export interface CaseResult {
  outcome: Outcome;
  /** The exit code `mobilec compile` would return. */
  exitCode: number;
  /** The one-line message (rejected), or the error's first line. */
  message?: string;
  /** For failures: the stack trace, when there was one. */
  stack?: string;
  ms: number;
  /** CPU time of the compiling thread (Linux; else the process's), which other load on the machine does not inflate. */
  cpuMs?: number;
  /** ok: MACs plus tensor elements of the prepared graph (what a host run would cost). */
  work?: number;
  /** ok: ops of the prepared graph. */
  ops?: number;
}

/** /proc/<pid>/task/<tid>/stat of the calling thread (Linux), so another thread can read its CPU time. */
export function threadStatPath(): string | undefined {
  try {
    return `/proc/${readlinkSync('/proc/thread-self')}/stat`;
  } catch {
    return undefined;
  }
}

/** User + system CPU milliseconds of the thread whose stat file this is (clock ticks of 10 ms). */
export function threadCpuMs(statPath: string | undefined): number | undefined {
  if (!statPath) return undefined;
  try {
    const fields = readFileSync(statPath, 'utf8').split(') ')[1]!.split(' ');
    // After "pid (comm) ": state is field 3, utime 14, stime 15.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Compiles the file; never throws. */
export function runCase(input: CaseInput): CaseResult {
  const stat = threadStatPath();
  const cpu0 = threadCpuMs(stat);
  const u0 = process.cpuUsage();
  const cpuMs = () => {
    const c = threadCpuMs(stat);
    if (c !== undefined && cpu0 !== undefined) return c - cpu0;
    const u = process.cpuUsage(u0);
    return (u.user + u.system) / 1000;
  };
  const result = compileCase(input);
  return { ...result, cpuMs: cpuMs() };
}

function compileCase(input: CaseInput): CaseResult {
  const t0 = performance.now();
  const model = join(input.dir, input.kind === 'tflite' ? 'case.tflite' : 'case.json');
  const out = join(input.dir, 'out');
  mkdirSync(input.dir, { recursive: true });
  writeFileSync(model, input.bytes);
  try {
    const format = OUTPUT_FORMATS.get('cmake')!;
    const { graph, project, target } = prepareModel(model, { target: input.target, kernels: 'simd', name: 'fuzz' });
    const files = format.files(project, target);
    writeOutputDir(out, files, { flag: '--out', force: true, inputs: [model], kind: format.kind });
    const work = graphMacs(graph) + graph.tensors.reduce((n, t) => n + elementCount(t.shape), 0);
    return { outcome: 'ok', exitCode: 0, ms: performance.now() - t0, work, ops: graph.ops.length };
  } catch (e) {
    return { ...classifyError(e), ms: performance.now() - t0 };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function classifyError(e: unknown): Omit<CaseResult, 'ms'> {
  if (e instanceof MobilecError) {
    if (e.kind === 'internal') return { outcome: 'internal', exitCode: e.exitCode, message: e.message, stack: e.stack };
    if (e.message.includes('\n') || e.message.trim() === '') return { outcome: 'multi-line', exitCode: e.exitCode, message: e.message, stack: e.stack };
    return { outcome: 'rejected', exitCode: e.exitCode, message: e.message };
  }
  const err = e as Error;
  // `mobilec compile` would print "internal error" and exit 4: a bug.
  return { outcome: 'stack-trace', exitCode: 4, message: String(err?.message ?? err).split('\n')[0], stack: err?.stack ?? String(e) };
}
