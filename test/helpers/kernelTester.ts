/**
 * The shared kernel tester. `KernelTester` renders single-op graphs
 * (test/helpers/kernelCases.ts) for one target — each case optionally forced
 * onto one registered SIMD variant with `tuning.only` — links many of them
 * (each its own model name, so their symbols never clash) into ONE program
 * per build, runs it once (QEMU user mode for the Raspberry Pi targets,
 * qemu-system-arm for the Cortex-M boards, natively for the host's AVX2
 * kernels on x86-64; several inputs per case: random
 * and saturating), and compares every case's output with the reference
 * interpreter: int8/uint8 bit for bit, float32 within FLOAT_TOLERANCE
 * relative to the largest reference magnitude (src/verify/compare.ts).
 *
 * Which kernel ran is read from the generated layer's kernel name with
 * `parseKernelName`; a name outside the grammar (the pre-redesign names of
 * today's providers) counts as SIMD exactly when it differs from the kernel
 * the generic C emitter gives the same layer.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProject, type GeneratedProject } from '../../src/codegen/index.js';
import { firmwareFiles } from '../../src/codegen/formats/common.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { renderSource } from '../../src/codegen/templates.js';
import type { KernelTuning, SimdVariant } from '../../src/codegen/types.js';
import { FIRMWARE_DIR, qemuSystemArgs } from '../../src/cross/mcu.js';
import { elementCount, type Graph, type TensorData } from '../../src/model/ir.js';
import { runGraph } from '../../src/reference/interpreter.js';
import type { Target } from '../../src/targets/index.js';
import { buildDir, contentKey, MAX_ENTRIES_PER_AREA, pruneArea } from '../../src/util/buildCache.js';
import { cacheDir } from '../../src/util/paths.js';
import { Prng } from '../../src/util/prng.js';
import { allocate, seededInput, toBytes } from '../../src/util/tensors.js';
import { compareTensor } from '../../src/verify/compare.js';
import { kernelCase, type CaseDType, type CaseSpec, type Family, type KernelCase, type QuantProfile } from './kernelCases.js';

export { FAMILIES, FAMILY_OPS, type Family, type CaseDType } from './kernelCases.js';

const HARNESS = readFileSync(fileURLToPath(new URL('./kernelTesterMain.c.hbs', import.meta.url)), 'utf8');

/** Bumped whenever the build recipe changes, to invalidate cached builds. */
const RECIPE_VERSION = 2;
const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];

/** Inputs per case: two uniform random, one of only the dtype's extremes (saturation). */
export const ROUNDS = 3;

/** Cases per build: many, within what the MPS2/MPS3 boards' memories take (a build that does not fit is split). */
const MAX_CASES: Readonly<Record<'user' | 'system', number>> = { user: 80, system: 40 };
/** Sum of the arenas of one bare-metal build (the MPS3 AN547's DTCM is 512 KB, stack included). */
const MCU_ARENA_BUDGET = 320 * 1024;
/** Sum of the constants of one bare-metal build (the AN547's SRAM is 2 MB). */
const MCU_WEIGHTS_BUDGET = 1024 * 1024;

export interface CaseRequest {
  readonly family: Family;
  readonly dtype: CaseDType;
  readonly seed: number;
  /** Requantization profile of weighted ops (default: from the seed). */
  readonly profile?: QuantProfile;
  /** The registered variant the case is forced onto (`tuning.only`); none: whatever the provider picks. */
  readonly variant?: SimdVariant<any, any>;
  /** Tuning switches of the variants (`tuning.switches`, e.g. `dsp.smmlar: false`). */
  readonly switches?: KernelTuning['switches'];
  /**
   * A fixed case instead of a random one: a prepared single-op graph (e.g.
   * `kernelCase(...)` edited, or `loadModel` of a one-layer model) with a
   * geometry and quantization of the caller's choosing; family/dtype/seed
   * then only label it (the seed also picks its random inputs).
   */
  readonly graph?: Graph;
  /**
   * The share of the dtype's maximum in the extremes-only input (default
   * 0.5): 0 or 1 gives a constant input at the minimum or the maximum (sums
   * at their largest magnitude).
   */
  readonly extremesMax?: number;
}

export interface CaseResult {
  readonly name: string;
  readonly spec: CaseSpec;
  readonly variant: string | null;
  /** The ISA of that variant (`SimdVariant.isa`). */
  readonly variantIsa: string | null;
  /** The kernel that ran (the layer's kernel name). */
  readonly kernel: string;
  /** ISA tag of the kernel name (`c` for generic C). */
  readonly isa: string;
  readonly simd: boolean;
  readonly elements: number;
  readonly mismatches: number;
  readonly maxAbsDiff: number;
  readonly tolerance: number;
}

export interface TesterRun {
  readonly results: CaseResult[];
  readonly builds: number;
  readonly cached: number;
  readonly ms: number;
}

interface Prepared {
  readonly name: string;
  readonly request: CaseRequest;
  readonly kcase: KernelCase;
  readonly project: GeneratedProject;
  readonly kernel: string;
  readonly isa: string;
  readonly simd: boolean;
}

/** Which kernel a generated single-layer project runs, by its name (never by substring; a name outside the grammar throws). */
export function kernelIdentity(kernel: string): { isa: string; simd: boolean } {
  const id = parseKernelName(kernel);
  return { isa: id.isa, simd: id.isa !== 'c' };
}

/** Inputs of a case: `ROUNDS` of them, the last one at the dtype's extremes only (the maximum with probability `pMax`). */
function caseInputs(kc: KernelCase, pMax = 0.5): TensorData[] {
  const t = kc.graph.tensors[kc.graph.inputs[0]!]!;
  const n = elementCount(t.shape);
  const out: TensorData[] = [];
  for (let r = 0; r < ROUNDS - 1; r++) out.push(seededInput(t.dtype, n, kc.spec.seed * 31 + r));
  const rng = new Prng(kc.spec.seed ^ 0x5eed);
  const ext = allocate(t.dtype, n);
  const [lo, hi] = t.dtype === 'int8' ? [-128, 127] : t.dtype === 'uint8' ? [0, 255] : [-1, 1];
  for (let i = 0; i < n; i++) ext[i] = rng.next() < 1 - pMax ? lo : hi;
  out.push(ext);
  return out;
}

function run(cmd: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${e.message}`));
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function must(cmd: string, args: readonly string[], cwd: string, what: string, timeoutMs = 600_000): Promise<void> {
  const r = await run(cmd, args, cwd, timeoutMs);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${cmd} ${args.slice(0, 12).join(' ')}...\n${r.out.slice(0, 4000)}`);
}

/** Compiles `sources` in `dir` as two concurrent compiler processes. */
async function compileAll(cc: string, flags: readonly string[], sources: readonly string[], dir: string, what: string): Promise<void> {
  const halves = [sources.filter((_, i) => i % 2 === 0), sources.filter((_, i) => i % 2 === 1)].filter((h) => h.length > 0);
  await Promise.all(halves.map((h) => must(cc, [...flags, '-c', ...h], dir, what)));
}

class DoesNotFit extends Error {}

/**
 * Builds (or reuses, by content hash) one program linking every prepared
 * case; returns the path of the executable or firmware image.
 */
async function buildProgram(target: Target, cases: readonly Prepared[]): Promise<{ exe: string; cached: boolean }> {
  const bare = target.emulator.kind === 'system';
  const files = new Map<string, string | Uint8Array>();
  for (const c of cases) {
    for (const [f, content] of bare ? firmwareFiles(c.project) : c.project.files) {
      if (f.endsWith('_abi.c') || f === 'mobilec_abi.h' || f === 'CMakeLists.txt') continue;
      const seen = files.get(f);
      if (seen !== undefined && seen !== content) throw new Error(`kernel tester: ${f} differs between the linked projects`);
      files.set(f, content);
    }
  }
  const harness = renderSource(HARNESS, { cases: cases.map((c) => ({ name: c.name, NAME: c.name.toUpperCase() })), rounds: ROUNDS, semihosting: bare });
  files.set('kt_main.c', harness);
  let board = '';
  if (target.emulator.kind === 'system') {
    board = `${target.emulator.machine}.ld`;
    for (const f of ['startup.c', 'semihosting.c', 'semihosting.h', 'sections.ld', board]) files.set(f, readFileSync(join(FIRMWARE_DIR, f)));
  }
  const key = contentKey({ RECIPE_VERSION, cc: target.cc, cflags: target.cflags, strict: STRICT, bare }, files);
  const label = `${target.name}-${cases.length}`;
  const dir = buildDir('kernel-tester', label, key);
  const exe = join(dir, bare ? 'fw.elf' : 'kt');
  if (existsSync(exe)) return { exe, cached: true };
  const root = join(cacheDir(), 'kernel-tester');
  mkdirSync(root, { recursive: true });
  const tmp = mkdtempSync(join(root, `.tmp-${label}-`));
  try {
    for (const [f, content] of files) writeFileSync(join(tmp, f), content);
    const models = cases.flatMap((c) => [`${c.name}.c`, `${c.name}_weights.S`]);
    const common = [...target.cflags, '-I', '.'];
    // The generated C must be warning-free under the strict flags; the harness and firmware are held to -Wall -Wextra.
    await compileAll(
      target.cc,
      [...common, ...STRICT, ...(bare ? ['-ffunction-sections', '-fdata-sections'] : [])],
      models,
      tmp,
      `compiling ${cases.length} kernel cases for ${target.name}`,
    );
    const support = bare ? ['kt_main.c', 'startup.c', 'semihosting.c'] : ['kt_main.c'];
    await must(
      target.cc,
      [...common, '-std=c99', '-Wall', '-Wextra', '-Werror', ...(bare ? ['-ffunction-sections', '-fdata-sections'] : []), '-c', ...support],
      tmp,
      'compiling the kernel tester harness',
    );
    const objects = [...models, ...support].map((f) => f.replace(/\.[cS]$/, '.o'));
    const link = bare
      ? [
          ...target.cflags,
          '-nostartfiles',
          '--specs=nano.specs',
          '-T',
          board,
          '-Wl,--gc-sections',
          '-Wl,--defsym=__heap_size=0',
          ...objects,
          '-lm',
          '-o',
          'fw.elf',
        ]
      : [...target.cflags, '-static', ...objects, '-lm', '-o', 'kt'];
    const r = await run(target.cc, link, tmp, 600_000);
    if (r.code !== 0) {
      if (/region `?\w+'? overflowed|will not fit in region/.test(r.out)) throw new DoesNotFit(r.out.slice(0, 400));
      throw new Error(`linking the kernel tester for ${target.name} failed: ${r.out.slice(0, 4000)}`);
    }
    try {
      renameSync(tmp, dir);
    } catch {
      if (!existsSync(exe)) throw new Error(`kernel tester: cannot move ${tmp} to ${dir}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  pruneArea(root, MAX_ENTRIES_PER_AREA);
  return { exe, cached: false };
}

/**
 * Runs a build on its emulator. On a failed run, `crashed` names the case
 * that was running: the one whose output would have come next (the
 * harness writes each case's output as soon as it has run).
 */
async function runProgram(
  target: Target,
  exe: string,
  input: Uint8Array,
  outputBytes: readonly number[],
  crashed: (byteCount: number) => string,
): Promise<Uint8Array> {
  const work = mkdtempSync(join(tmpdir(), `mobilec-kt-${target.name}-`));
  try {
    writeFileSync(join(work, 'kt_in.bin'), input);
    const emu = target.emulator;
    let r: { code: number | null; out: string };
    if (emu.kind === 'user') {
      r = await run(emu.command, ['-cpu', emu.cpu, exe, 'kt_in.bin', 'kt_out.bin'], work, 20 * 60_000);
    } else if (emu.kind === 'system') {
      const args = qemuSystemArgs(emu, exe);
      r = await run(emu.command, args, work, 20 * 60_000);
    } else {
      // the host (x86-64: the AVX2 kernels) runs the program natively
      r = await run(exe, ['kt_in.bin', 'kt_out.bin'], work, 20 * 60_000);
    }
    const outPath = join(work, 'kt_out.bin');
    const out = existsSync(outPath) ? new Uint8Array(readFileSync(outPath)) : new Uint8Array(0);
    if (r.code !== 0) throw new Error(`kernel tester on ${target.name} exited ${r.code} in ${crashed(out.length)}: ${r.out.slice(0, 2000)}`);
    const total = outputBytes.reduce((a, b) => a + b, 0);
    if (out.length !== total) throw new Error(`kernel tester on ${target.name}: ${out.length} output bytes, expected ${total}`);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Splits prepared cases into builds: at most MAX_CASES, and on bare metal within the memory budgets. */
function batches(target: Target, cases: readonly Prepared[]): Prepared[][] {
  const bare = target.emulator.kind === 'system';
  const max = MAX_CASES[bare ? 'system' : 'user'];
  const out: Prepared[][] = [];
  let cur: Prepared[] = [];
  let arena = 0;
  let weights = 0;
  for (const c of cases) {
    const full = cur.length >= max || (bare && (arena + c.project.arena.bytes > MCU_ARENA_BUDGET || weights + c.project.weightBytes > MCU_WEIGHTS_BUDGET));
    if (full && cur.length > 0) {
      out.push(cur);
      cur = [];
      arena = 0;
      weights = 0;
    }
    cur.push(c);
    arena += c.project.arena.bytes;
    weights += c.project.weightBytes;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * The kernel tester of one target. `add` queues a case (a family, dtype and
 * seed; optionally a registered variant to force); `run` builds as few
 * programs as fit, runs them, and returns one result per case in order.
 */
export class KernelTester {
  private readonly prepared: Prepared[] = [];
  private n = 0;

  constructor(
    readonly target: Target,
    /** Prefix of the model names (keeps concurrent testers' caches apart). */
    private readonly prefix = 'kt',
  ) {}

  /** Queues one case; returns its model name and the kernel it got. */
  add(request: CaseRequest): { name: string; kernel: string; isa: string; simd: boolean } {
    const p = this.prepare(request);
    this.prepared.push(p);
    return p;
  }

  /**
   * Queues the case only when the variant it is forced onto takes it (a
   * kernel of the variant's ISA, not generic C); false (not queued) when
   * the variant declines it.
   */
  addIfSelected(request: CaseRequest & { variant: SimdVariant<any, any> }): boolean {
    const p = this.prepare(request);
    if (!p.simd || p.isa !== request.variant.isa) {
      this.n--;
      return false;
    }
    this.prepared.push(p);
    return true;
  }

  private prepare(request: CaseRequest): Prepared {
    const name = `${this.prefix}${this.n++}`;
    const kcase: KernelCase = request.graph
      ? { spec: { family: request.family, dtype: request.dtype, seed: request.seed, geometry: { fixed: request.graph.name }, quant: {} }, graph: request.graph }
      : kernelCase(name, request.family, request.dtype, request.seed, request.profile);
    if (kcase.graph.ops.length !== 1) throw new Error(`kernel tester: case ${name} has ${kcase.graph.ops.length} ops; the tester runs single-op graphs`);
    const tuning: KernelTuning = { ...(request.variant ? { only: [request.variant.key] } : {}), ...(request.switches ? { switches: request.switches } : {}) };
    const project = generateProject(kcase.graph, { name, target: this.target, kernels: 'simd', tuning });
    const layer = project.layers[0]!;
    const { isa, simd } = kernelIdentity(layer.kernel);
    return { name, request, kcase, project, kernel: layer.kernel, isa, simd };
  }

  get size(): number {
    return this.prepared.length;
  }

  async run(): Promise<TesterRun> {
    const t0 = performance.now();
    const results: CaseResult[] = [];
    let builds = 0;
    let cached = 0;
    const queue = batches(this.target, this.prepared);
    while (queue.length > 0) {
      const batch = queue.shift()!;
      let exe: string;
      try {
        const b = await buildProgram(this.target, batch);
        exe = b.exe;
        if (b.cached) cached++;
      } catch (e) {
        if (e instanceof DoesNotFit && batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          queue.unshift(batch.slice(0, half), batch.slice(half));
          continue;
        }
        throw e;
      }
      builds++;
      const inputs = batch.map((c) => caseInputs(c.kcase, c.request.extremesMax));
      const outBytes = batch.map((c) => c.project.layers[0]!.bytes);
      const inStream: Uint8Array[] = [];
      for (let r = 0; r < ROUNDS; r++) for (const ins of inputs) inStream.push(toBytes(ins[r]!));
      const stream = Array.from({ length: ROUNDS }, () => outBytes).flat();
      const crashed = (bytes: number): string => {
        let k = 0;
        for (let done = 0; k < stream.length && done + stream[k]! <= bytes; k++) done += stream[k]!;
        const c = batch[k % batch.length]!;
        return `case ${c.name} (${c.kernel}, input ${Math.floor(k / batch.length)}): ${JSON.stringify(c.kcase.spec)}`;
      };
      const out = await runProgram(this.target, exe, Buffer.concat(inStream), stream, crashed);
      const acc = batch.map(() => ({ mismatches: 0, maxAbsDiff: 0, tolerance: 0, elements: 0 }));
      let off = 0;
      for (let r = 0; r < ROUNDS; r++) {
        for (const [k, c] of batch.entries()) {
          const g = c.kcase.graph;
          const y = g.tensors[g.outputs[0]!]!;
          const ref = runGraph(g, [inputs[k]![r]!]).values.get(y.id)!;
          const cmp = compareTensor(y.dtype, ref, out.subarray(off, off + outBytes[k]!));
          off += outBytes[k]!;
          const a = acc[k]!;
          a.mismatches += cmp.mismatches;
          a.maxAbsDiff = Math.max(a.maxAbsDiff, cmp.maxAbsDiff);
          a.tolerance = Math.max(a.tolerance, cmp.tolerance);
          a.elements += cmp.elements;
        }
      }
      for (const [k, c] of batch.entries()) {
        results.push({
          name: c.name,
          spec: c.kcase.spec,
          variant: c.request.variant?.key ?? null,
          variantIsa: c.request.variant?.isa ?? null,
          kernel: c.kernel,
          isa: c.isa,
          simd: c.simd,
          ...acc[k]!,
        });
      }
    }
    const order = new Map(this.prepared.map((p, i) => [p.name, i]));
    results.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
    return { results, builds, cached, ms: performance.now() - t0 };
  }
}

/** One line per failing case, replayable from its spec. */
export function describeFailures(results: readonly CaseResult[]): string[] {
  return results
    .filter((r) => r.mismatches > 0)
    .map(
      (r) =>
        `${r.name} ${r.kernel}${r.variant ? ` (only ${r.variant})` : ''}: ${r.mismatches}/${r.elements} mismatches, max diff ${r.maxAbsDiff} — ${JSON.stringify(r.spec)}`,
    );
}

/**
 * Coverage of the registered variants: for every key, how many cases were
 * forced onto it, how many it took (a kernel of its ISA ran) and how many it
 * declined (generic C ran). `gaps` are the keys no case selected: a failure.
 */
export function variantCoverage(
  keys: readonly string[],
  results: readonly CaseResult[],
): { byKey: Map<string, { cases: number; took: number; declined: number }>; gaps: string[] } {
  const byKey = new Map(keys.map((k) => [k, { cases: 0, took: 0, declined: 0 }]));
  for (const r of results) {
    if (r.variant === null) continue;
    const e = byKey.get(r.variant);
    if (!e) continue;
    e.cases++;
    if (r.simd && r.isa === r.variantIsa) e.took++;
    else e.declined++;
  }
  return { byKey, gaps: keys.filter((k) => byKey.get(k)!.took === 0) };
}
