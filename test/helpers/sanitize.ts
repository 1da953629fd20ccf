/**
 * Sanitizer builds of generated C (issue 15): a project's model C, its
 * constants (on the host as C arrays, `weights: 'c'`, so each array is its
 * own object and AddressSanitizer puts a red zone around it; on the cross
 * targets the shipped `.incbin` blob) and the Linux harness
 * (templates/harness/linux_main.c.hbs, with the layer hooks and dead-byte
 * poisoning) become one executable built with a compiler and sanitizer
 * flags, run on input files; the result carries the output and every
 * layer's bytes per input, and the sanitizer's stderr.
 *
 * Host: gcc and clang with AddressSanitizer and UndefinedBehaviorSanitizer,
 * nothing recoverable (the first finding aborts the run). Linux cross
 * targets (rpi*): UBSan in trap mode (`-fsanitize-undefined-trap-on-error`,
 * no runtime library), run under qemu-user: a finding is a trap instruction,
 * i.e. the program dies of SIGILL / SIGTRAP.
 *
 * Every file is compiled with -std=c99 -Wall -Wextra -Werror -pedantic as
 * well: the generated C must stay warning-free under the sanitizers too.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { generateProject, type GeneratedProject } from '../../src/codegen/index.js';
import { render } from '../../src/codegen/templates.js';
import { parseLayers } from '../../src/cross/elf.js';
import { buildMcuImage, runImage } from '../../src/cross/mcu.js';
import { elementCount, type Graph, type TensorData } from '../../src/model/ir.js';
import type { Target } from '../../src/targets/index.js';
import { allocate, seededInput, toBytes } from '../../src/util/tensors.js';
import { compareWithReference } from '../../src/verify/verify.js';

const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];

/** How one executable is built and run. */
export interface SanitizerBuild {
  /** Short label for messages (`gcc-asan-ubsan`, `rpi4-ubsan-trap`). */
  readonly label: string;
  readonly cc: string;
  /** Compile flags (optimisation, architecture, sanitizers). */
  readonly cflags: readonly string[];
  /** Link flags beyond -lm. */
  readonly ldflags: readonly string[];
  /** Emulator command prefix (`qemu-aarch64 -cpu cortex-a72`), empty on the host. */
  readonly runner: readonly string[];
  /** True when the build carries sanitizers (a non-zero exit is then a finding). */
  readonly sanitized: boolean;
  /**
   * How the constants are built in: C arrays (each its own object, with ASan red zones around it) on the host,
   * the shipped default `.incbin` blob on the cross targets (so UBSan's alignment checks see its layout).
   */
  readonly weights: 'c' | 'incbin';
}

/** -fsanitize=address,undefined, nothing recoverable; gcc also checks float → int conversions (clang's `undefined` already does). */
export function hostSanitizer(cc: 'gcc' | 'clang'): SanitizerBuild {
  const san = ['-fsanitize=address,undefined', ...(cc === 'gcc' ? ['-fsanitize=float-cast-overflow'] : []), '-fno-sanitize-recover=all'];
  return { label: `${cc}-asan-ubsan`, cc, cflags: [...san, '-fno-omit-frame-pointer', '-g', '-O1'], ldflags: san, runner: [], sanitized: true, weights: 'c' };
}

/** The same compiler without sanitizers, at the host target's level: the non-sanitized build to compare with. */
export function hostPlain(cc: 'gcc' | 'clang'): SanitizerBuild {
  return { label: `${cc}-plain`, cc, cflags: ['-O2'], ldflags: [], runner: [], sanitized: false, weights: 'c' };
}

function userEmulator(target: Target): string[] {
  if (target.emulator.kind !== 'user') throw new Error(`target ${target.name} does not run under QEMU user mode`);
  return [target.emulator.command, '-cpu', target.emulator.cpu];
}

/**
 * A Linux cross target with UBSan in trap mode (no runtime library: the
 * link takes no -fsanitize), at the target's own flags (-mcpu, -O3), so the
 * SIMD kernels are the ones that ship. Static, as src/cross/linux.ts links.
 */
export function crossSanitizer(target: Target): SanitizerBuild {
  return {
    label: `${target.name}-ubsan-trap`,
    cc: target.cc,
    cflags: [...target.cflags, '-fsanitize=undefined', '-fsanitize=float-cast-overflow', '-fsanitize-undefined-trap-on-error'],
    ldflags: ['-static'],
    runner: userEmulator(target),
    sanitized: true,
    weights: 'incbin',
  };
}

export function crossPlain(target: Target): SanitizerBuild {
  return {
    label: `${target.name}-plain`,
    cc: target.cc,
    cflags: [...target.cflags],
    ldflags: ['-static'],
    runner: userEmulator(target),
    sanitized: false,
    weights: 'incbin',
  };
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
}

/** The commands a build needs that are missing here (empty when it can build and run). */
export function missingTools(b: SanitizerBuild): string[] {
  return [b.cc, ...b.runner.slice(0, 1)].filter((c) => !onPath(c));
}

export interface SanitizedRun {
  /** Exit status (null when killed by a signal). */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The program's stderr: the sanitizer reports, or QEMU's `uncaught target signal`. */
  readonly stderr: string;
  /** Per input that completed: the output bytes and every layer's bytes. */
  readonly outputs: Uint8Array[];
  readonly layers: Uint8Array[][];
}

/** A finding: a non-zero exit, a signal, or a sanitizer report on stderr; null when clean. */
export function finding(r: SanitizedRun): string | null {
  if (r.status === 0 && r.signal === null && !/runtime error|Sanitizer|uncaught target signal/.test(r.stderr)) return null;
  return `exit ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(0, 12).join('\n')}`;
}

/** A built executable in its own temporary directory; `dispose` removes it. */
export interface SanitizerExe {
  readonly exe: string;
  readonly build: SanitizerBuild;
  readonly project: GeneratedProject;
  run(inputs: readonly Uint8Array[]): Promise<SanitizedRun>;
  dispose(): void;
}

interface Ran {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs a command asynchronously (long synchronous runs would starve vitest's worker RPC). */
function exec(cmd: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => {
      if (stderr.length < 1 << 20) stderr += d;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), 30 * 60_000);
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${e.message}`));
    });
    p.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stderr });
    });
  });
}

async function must(cmd: string, args: readonly string[], cwd: string, what: string): Promise<void> {
  const r = await exec(cmd, args, cwd);
  if (r.status !== 0) throw new Error(`${what}: ${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr.slice(0, 4000)}`);
}

/** Generates the project (weights as C arrays) for the build's target, compiles and links the harness. */
export async function buildSanitized(
  graph: Graph,
  target: Target,
  b: SanitizerBuild,
  opts: { kernels?: 'simd' | 'generic'; patch?: (file: string, text: string) => string } = {},
): Promise<SanitizerExe> {
  const name = graph.name.replace(/[^A-Za-z0-9_]/g, '_');
  const project = generateProject(graph, { name, target, kernels: opts.kernels ?? 'simd', weights: b.weights });
  const dir = mkdtempSync(join(tmpdir(), `mobilec-san-${b.label}-`));
  try {
    const weights = b.weights === 'c' ? [`${name}_weights.c`] : [`${name}_weights.S`, `${name}_weights.bin`];
    for (const f of [`${name}.h`, `${name}.c`, ...weights, 'mobilec_runtime.h']) {
      const content = project.files.get(f);
      if (content === undefined) throw new Error(`generated project ${name} has no ${f}`);
      writeFileSync(join(dir, f), opts.patch && typeof content === 'string' ? opts.patch(f, content) : content);
    }
    writeFileSync(join(dir, 'harness.c'), render('harness/linux_main.c.hbs', { name, NAME: name.toUpperCase() }));
    const flags = [...b.cflags, ...STRICT, '-DMOBILEC_LAYER_HOOKS', '-DMOBILEC_POISON_DEAD', '-I', '.'];
    const srcs = [`${name}.c`, weights[0]!, 'harness.c'];
    const objs = srcs.map((src) => src.replace(/\.[cS]$/, '.o'));
    await Promise.all(srcs.map((src, i) => must(b.cc, [...flags, '-c', src, '-o', objs[i]!], dir, `compiling ${src} (${b.label})`)));
    await must(b.cc, [...b.ldflags, ...objs, '-lm', '-o', 'harness'], dir, `linking ${name} (${b.label})`);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const exe = join(dir, 'harness');
  return {
    exe,
    build: b,
    project,
    async run(inputs) {
      const work = mkdtempSync(join(dir, 'run-'));
      try {
        const paths = inputs.map((data, k) => {
          const p = join(work, `in${k}.bin`);
          writeFileSync(p, data);
          return p;
        });
        const [cmd, ...pre] = b.runner.length > 0 ? [...b.runner, exe] : [exe];
        const r = await exec(cmd!, [...pre, work, ...paths], work, {
          ...process.env,
          ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0',
          UBSAN_OPTIONS: 'print_stacktrace=1',
        });
        const outputs: Uint8Array[] = [];
        const layers: Uint8Array[][] = [];
        for (let k = 0; k < inputs.length; k++) {
          const out = join(work, `out${k}.bin`);
          if (!existsSync(out)) break;
          outputs.push(new Uint8Array(readFileSync(out)));
          layers.push(parseLayers(readFileSync(join(work, `layers${k}.bin`)), project.layers.length));
        }
        return { status: r.status, signal: r.signal, stderr: r.stderr, outputs, layers };
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One input of a sanitizer run: its name, data, and whether its output is compared (false: only no findings). */
export interface NamedInput {
  readonly name: string;
  readonly data: TensorData;
  /** The seed of a seeded input (the reference comparison uses it), null for the extremes. */
  readonly seed: number | null;
  /** Compare the output with the non-sanitized build (false for NaN inputs: only no findings). */
  readonly compare: boolean;
}

/**
 * The inputs of the sanitizer tests: `seeds` seeded random ones, all-min and
 * all-max of the input's dtype (float32: ±FLT_MAX), and for float32 inputs
 * NaN, +Inf, −Inf, +1e30 and −1e30 (NaN: findings only).
 */
export function extremeInputs(graph: Graph, seeds = 1): NamedInput[] {
  const t = graph.tensors[graph.inputs[0]!]!;
  const n = elementCount(t.shape);
  const fill = (v: number): TensorData => {
    const d = allocate(t.dtype, n);
    d.fill(v as never);
    return d;
  };
  const ins: NamedInput[] = Array.from({ length: seeds }, (_, k) => ({
    name: `seed ${k + 1}`,
    data: seededInput(t.dtype, n, k + 1),
    seed: k + 1,
    compare: true,
  }));
  const range: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], int32: [-(2 ** 31), 2 ** 31 - 1] };
  if (t.dtype === 'float32') {
    const FLT_MAX = 3.4028234663852886e38;
    ins.push(
      { name: 'all -FLT_MAX', data: fill(-FLT_MAX), seed: null, compare: true },
      { name: 'all +FLT_MAX', data: fill(FLT_MAX), seed: null, compare: true },
      { name: 'all NaN', data: fill(Number.NaN), seed: null, compare: false },
      { name: 'all +Inf', data: fill(Number.POSITIVE_INFINITY), seed: null, compare: true },
      { name: 'all -Inf', data: fill(Number.NEGATIVE_INFINITY), seed: null, compare: true },
      { name: 'all +1e30', data: fill(1e30), seed: null, compare: true },
      { name: 'all -1e30', data: fill(-1e30), seed: null, compare: true },
    );
  } else {
    const [lo, hi] = range[t.dtype]!;
    ins.push({ name: 'all min', data: fill(lo), seed: null, compare: true }, { name: 'all max', data: fill(hi), seed: null, compare: true });
  }
  return ins;
}

/** Bytes equal, float32 NaNs of any payload counting as equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array, float: boolean): boolean {
  if (a.length !== b.length) return false;
  if (!float) return Buffer.from(a).equals(Buffer.from(b));
  const x = new DataView(a.buffer, a.byteOffset, a.byteLength);
  const y = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i + 4 <= a.length; i += 4) {
    const u = x.getFloat32(i, true);
    const v = y.getFloat32(i, true);
    if (!(Object.is(u, v) || (Number.isNaN(u) && Number.isNaN(v)))) return false;
  }
  return true;
}

/**
 * Runs a graph's sanitized build on the inputs and returns the problems
 * found (empty: clean): sanitizer findings; every layer against the
 * reference (seeded inputs; the extremes too when the input is quantized,
 * where every quantized layer is bit-exact); and when the graph computes in
 * float32 anywhere (where the reference is only within a tolerance), the
 * output against the non-sanitized twin build's, bit for bit (NaNs equal;
 * inputs with `compare` only).
 */
export async function sanitizerProblems(
  graph: Graph,
  target: Target,
  san: SanitizerBuild,
  plain: SanitizerBuild,
  inputs: readonly NamedInput[],
): Promise<string[]> {
  const problems: string[] = [];
  const float = graph.ops.some((op) => op.outputs.some((t) => graph.tensors[t]!.dtype === 'float32'));
  const built = await Promise.allSettled([buildSanitized(graph, target, san), float ? buildSanitized(graph, target, plain) : null]);
  const failed = built.find((b) => b.status === 'rejected');
  if (failed) {
    for (const b of built) if (b.status === 'fulfilled') b.value?.dispose();
    throw failed.reason;
  }
  const [exe, twin] = built.map((b) => (b as PromiseFulfilledResult<SanitizerExe | null>).value) as [SanitizerExe, SanitizerExe | null];
  try {
    const bytes = inputs.map((i) => toBytes(i.data));
    const r = await exe.run(bytes);
    const f = finding(r);
    if (f !== null) problems.push(`${san.label} ${graph.name}, input '${inputs[r.outputs.length]?.name ?? '?'}': ${f}`);
    if (twin) {
      const p = await twin.run(bytes.filter((_, k) => inputs[k]!.compare));
      if (finding(p) !== null) problems.push(`${plain.label} ${graph.name}: ${finding(p)}`);
      const floatOut = graph.tensors[graph.outputs[0]!]!.dtype === 'float32';
      let j = 0;
      inputs.forEach((inp, k) => {
        if (!inp.compare) return;
        const mine = r.outputs[k];
        const theirs = p.outputs[j++];
        if (mine && theirs && !sameBytes(mine, theirs, floatOut)) {
          problems.push(`${san.label} ${graph.name}, input '${inp.name}': output differs from the non-sanitized build`);
        }
      });
    }
    // The reference: every layer on the seeded inputs (float32 layers within the verify tolerance, on the C's
    // own inputs), and on the extremes too when the input is quantized (bit-exact all through).
    const floatIn = graph.tensors[graph.inputs[0]!]!.dtype === 'float32';
    const refRuns = inputs.flatMap((inp, k) =>
      inp.compare && (inp.seed !== null || !floatIn) && r.layers[k] ? [{ seed: inp.seed ?? -(k + 1), input: inp.data, c: { layers: r.layers[k]! } }] : [],
    );
    if (refRuns.length > 0) {
      for (const l of compareWithReference(graph, exe.project, refRuns).layers) {
        if (l.mismatches > 0) {
          problems.push(
            `${san.label} ${graph.name}: layer ${l.index} ${l.op} ${l.dtype} differs from the reference (${l.mismatches} mismatches, max diff ${l.maxAbsDiff})`,
          );
        }
      }
    }
  } finally {
    exe.dispose();
    twin?.dispose();
  }
  return problems;
}

/** UBSan in trap mode for the Cortex-M firmware: a finding is a UDF, i.e. a HardFault, and the firmware exits non-zero. */
export const MCU_TRAP_FLAGS = ['-fsanitize=undefined', '-fsanitize=float-cast-overflow', '-fsanitize-undefined-trap-on-error'] as const;

/**
 * A graph on a Cortex-M board (qemu-system-arm) with UBSan in trap mode
 * (src/cross/mcu.ts's firmware image, layer dumps on): the problems found,
 * as `sanitizerProblems` (no twin build: the boards' float graphs are
 * compared with the reference on seeded inputs only).
 */
export function mcuSanitizerProblems(graph: Graph, target: Target, inputs: readonly NamedInput[]): string[] {
  const name = graph.name.replace(/[^A-Za-z0-9_]/g, '_');
  const project = generateProject(graph, { name, target, kernels: 'simd' });
  const image = buildMcuImage(project, target, { layers: true, cflags: MCU_TRAP_FLAGS });
  let results: { layers: Uint8Array[] | null }[];
  try {
    results = runImage(
      image,
      project,
      target,
      inputs.map((i) => toBytes(i.data)),
      { layers: true, plugin: null },
    ) as { layers: Uint8Array[] | null }[];
  } catch (e) {
    return [`${target.name}-ubsan-trap ${graph.name}: ${(e as Error).message}`];
  }
  const floatIn = graph.tensors[graph.inputs[0]!]!.dtype === 'float32';
  const refRuns = inputs.flatMap((inp, k) =>
    inp.compare && (inp.seed !== null || !floatIn) ? [{ seed: inp.seed ?? -(k + 1), input: inp.data, c: { layers: results[k]!.layers! } }] : [],
  );
  return compareWithReference(graph, project, refRuns)
    .layers.filter((l) => l.mismatches > 0)
    .map((l) => `${target.name}-ubsan-trap ${graph.name}: layer ${l.index} ${l.op} ${l.dtype} differs from the reference (${l.mismatches} mismatches)`);
}
