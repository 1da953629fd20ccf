/**
 * The host's quantized AVX2 kernels (src/codegen/isa/avx2: `avx2/gemm/s8`,
 * `avx2/dw/s8-3x3`, `avx2/conv/s8`)
 * and their one requantization, natively on x86-64:
 *
 * - the requantization (`mobilec_avx2_mbqm`, `mobilec_avx2_narrow16` of
 *   templates/kernels/avx2_common.c.hbs) lane by lane on edge values (every
 *   shift from −31 to 30 with accumulators and multipliers at the int32 ends,
 *   INT32_MIN² included, ties of every rounding shift, every output zero point
 *   and clamp, random records), built by gcc and clang with the strict flags and
 *   by gcc under AddressSanitizer + UndefinedBehaviorSanitizer, against
 *   src/numerics/fixedpoint.ts bit for bit;
 * - the kernel tester forcing each variant over random int8 shapes and
 *   quantization (plain and edge profiles: right, zero and left shifts per
 *   channel), fixed tails (channels not a multiple of 16 or 8, odd K, pixels not
 *   a multiple of the tile, the chunked path of large weights) and adversarial
 *   values (zero points at both ends, weights at −128 / 127, inputs at the
 *   extremes), asserting exact int8 / uint8 outputs;
 * - the variants a real model gets: every pointwise and FC layer of the int8
 *   MobileNetV1 0.25 on `avx2/gemm/s8`, every depthwise layer on
 *   `avx2/dw/s8-3x3`, the stem on `avx2/conv/s8`, and the model clean under
 *   clang's ASan + UBSan.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { isaKernelsFor } from '../../src/codegen/isa/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { loadModel } from '../../src/pipeline.js';
import type { Graph } from '../../src/model/ir.js';
import { INT32_MAX, INT32_MIN, multiplyByQuantizedMultiplier } from '../../src/numerics/fixedpoint.js';
import { host } from '../../src/targets/index.js';
import { avx2HarnessSource, type Avx2RqCase, encodeAvx2Cases, expectedAvx2Lane, RECORD_OUT } from '../helpers/avx2RequantHarness.js';
import { convCase, depthwiseCase, kernelCase, type Family } from '../helpers/kernelCases.js';
import { describeFailures, KernelTester } from '../helpers/kernelTester.js';
import { EDGE_ACCS, EDGE_MULTS, NARROWINGS, rng } from '../helpers/requantCases.js';
import { FULL, SEED } from './config.js';
import { extremeInputs, hostPlain, hostSanitizer, sanitizerProblems } from '../helpers/sanitize.js';

const provider = isaKernelsFor(host);
const skip = provider?.isa !== 'avx2';

const SHIFT_MIN = -31;
const SHIFT_MAX = 30;
const Q30 = 1 << 30;

type Lane = { acc: number; mult: number; shift: number };

function buildCases(): Avx2RqCase[] {
  const rand = rng(0xa7f2_0001);
  const cases: Avx2RqCase[] = [];
  let n = 0;
  const pack = (lanes: readonly Lane[], tag: string) => {
    for (let i = 0; i < lanes.length; i += 8) {
      const eight = Array.from({ length: 8 }, (_, l) => lanes[(i + l) % lanes.length]!);
      cases.push({
        acc: eight.map((x) => x.acc),
        mult: eight.map((x) => x.mult),
        shift: eight.map((x) => x.shift),
        ...NARROWINGS[n++ % NARROWINGS.length]!,
        tag,
      });
    }
  };
  const shuffle = <T>(a: T[]): T[] => {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  // 1. Edge accumulators x edge multipliers (and INT32_MIN, whose square saturates, and negative ones) x every shift.
  const mults = [...EDGE_MULTS, INT32_MIN, -Q30, -1];
  const grid: Lane[] = [];
  for (let shift = SHIFT_MIN; shift <= SHIFT_MAX; shift++) for (const mult of mults) for (const acc of EDGE_ACCS) grid.push({ acc, mult, shift });
  pack(grid, 'edge grid');
  pack(shuffle([...grid]), 'edge grid, mixed lanes');
  // 2. Exact .5 ties of the rounding right shift by e, and one off either side.
  const ties: Lane[] = [];
  for (let e = 1; e <= 31; e++) {
    const half = 2 ** (e - 1);
    for (const k of [0, 1, 2, 3, 1000, Math.floor(rand() * 2 ** 20)])
      for (const sign of [1, -1])
        for (const d of [-1, 0, 1]) {
          const tie = sign * (2 * k + 1) * half;
          if (Math.abs(tie) < 2 ** 30) ties.push({ acc: tie + d, mult: INT32_MAX, shift: -e });
          if (Math.abs(2 * tie + d) <= INT32_MAX) ties.push({ acc: 2 * tie + d, mult: Q30, shift: -e });
        }
  }
  pack(ties, 'ties');
  pack(shuffle([...ties]), 'ties, mixed lanes');
  // 3. Every narrowing against results -300..300 (and far past int16).
  for (const nar of NARROWINGS) {
    for (let r = -300; r <= 300; r += 8) {
      const acc = Array.from({ length: 8 }, (_, l) => 2 * (r + l) * 4 + (l === 7 ? 4 : 0));
      cases.push({ acc, mult: Array(8).fill(Q30), shift: Array(8).fill(-2), ...nar, tag: 'narrowing' });
    }
    cases.push({
      acc: [INT32_MAX, INT32_MIN, 40000, -40000, 32767, -32768, 32900, -32900],
      mult: Array(8).fill(INT32_MAX),
      shift: Array(8).fill(0),
      ...nar,
      tag: 'narrowing, past int16',
    });
  }
  // 4. Random records: log-uniform or uniform accumulators, valid multipliers, any shifts.
  for (let i = 0; i < 3000; i++) {
    const lanes: Lane[] = [];
    for (let l = 0; l < 8; l++) {
      const mag = rand() < 0.8 ? Math.floor(2 ** (rand() * 31)) : Math.floor(rand() * 2 ** 31);
      lanes.push({
        acc: rand() < 0.5 ? -mag : Math.min(mag, INT32_MAX),
        mult: rand() < 0.02 ? 0 : Q30 + Math.floor(rand() * 2 ** 30),
        shift: SHIFT_MIN + Math.floor(rand() * (SHIFT_MAX - SHIFT_MIN + 1)),
      });
    }
    pack(lanes, 'random');
  }
  return cases;
}

const CASES = buildCases();

function runHarness(cc: string, flags: readonly string[]): Int32Array {
  const dir = mkdtempSync(join(tmpdir(), 'mobilec-avx2rq-'));
  try {
    writeFileSync(join(dir, 'h.c'), avx2HarnessSource());
    writeFileSync(join(dir, 'in.bin'), encodeAvx2Cases(CASES));
    const b = spawnSync(cc, ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', ...flags, 'h.c', '-o', 'h'], { cwd: dir, encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`${cc} ${flags.join(' ')}: ${b.stderr}`);
    const r = spawnSync(join(dir, 'h'), ['in.bin', 'out.bin'], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`harness (${cc} ${flags.join(' ')}) exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
    const bytes = readFileSync(join(dir, 'out.bin'));
    return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function mismatches(out: Int32Array): string[] {
  const bad: string[] = [];
  CASES.forEach((c, i) => {
    const o = i * RECORD_OUT;
    const noLeft = c.shift.every((s) => s <= 0);
    for (let l = 0; l < 8; l++) {
      const { raw, out: q } = expectedAvx2Lane(c, l);
      const where = `[${c.tag}] lane ${l}: acc=${c.acc[l]} mult=${c.mult[l]} shift=${c.shift[l]} ${c.u8 ? 'u8' : 's8'} zp=${c.zp} clamp=[${c.actMin}, ${c.actMax}]`;
      if (out[o + l] !== raw) bad.push(`mbqm ${where}: expected ${raw}, got ${out[o + l]}`);
      if (noLeft && out[o + 8 + l] !== raw) bad.push(`mbqm ls=0 ${where}: expected ${raw}, got ${out[o + 8 + l]}`);
      // narrow16(r, r): bytes 0..7 and 8..15 are both the 8 lanes
      if (out[o + 16 + l] !== q || out[o + 24 + l] !== q) bad.push(`narrow16 ${where}: expected ${q}, got ${out[o + 16 + l]} / ${out[o + 24 + l]}`);
    }
  });
  return bad.slice(0, 20);
}

describe.skipIf(skip)('AVX2 requantization on edge values (native)', () => {
  it('cases cover every shift, the saturating product, ties and every narrowing', () => {
    const shifts = new Set(CASES.flatMap((c) => c.shift));
    for (let s = SHIFT_MIN; s <= SHIFT_MAX; s++) expect(shifts.has(s), `shift ${s}`).toBe(true);
    expect(CASES.some((c) => c.acc.some((a, l) => a === INT32_MIN && c.mult[l] === INT32_MIN))).toBe(true);
    expect(multiplyByQuantizedMultiplier(INT32_MIN, INT32_MIN, 0)).toBe(INT32_MAX);
    expect(multiplyByQuantizedMultiplier(3 * 2 ** 4, INT32_MAX, -5)).toBe(2);
    expect(new Set(CASES.filter((c) => c.tag === 'narrowing').map((c) => `${c.u8}/${c.zp}/${c.actMin}/${c.actMax}`)).size).toBe(NARROWINGS.length);
    expect(CASES.length).toBeGreaterThan(5000);
  });

  it.each([
    ['gcc', ['-O2']],
    ['clang', ['-O2']],
    ['gcc', ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all']],
  ] as const)('%s %s: every lane bit-exact', (cc, flags) => {
    const out = runHarness(cc, flags);
    expect(out.length).toBe(CASES.length * RECORD_OUT);
    expect(mismatches(out)).toEqual([]);
  });

  it('the test can fail: a wrong expectation is reported', () => {
    const out = runHarness('gcc', ['-O2']);
    out[16] = (out[16]! + 1) | 0;
    expect(mismatches(out).length).toBeGreaterThan(0);
  });
});

/** Taken cases per variant and family (candidates: int8 random geometries, plain and edge quantization). */
const WANT: Readonly<Record<string, Partial<Record<Family, number>>>> = {
  'avx2/gemm/s8': { pointwise: FULL ? 160 : 24, fc: FULL ? 80 : 10 },
  'avx2/dw/s8-3x3': { depthwise: FULL ? 120 : 20 },
  'avx2/conv/s8': { conv: FULL ? 60 : 10 },
};

/** A graph's weights replaced by `f(i)` (same dtype; the requantization depends on scales only). */
function withWeights(g: Graph, f: (i: number) => number): Graph {
  const wId = g.ops[0]!.inputs[1]!;
  const tensors = g.tensors.map((t) => {
    if (t.id !== wId || !t.data) return t;
    const data = Int8Array.from(t.data as Int8Array, (_, i) => f(i));
    return { ...t, data };
  });
  return { ...g, tensors };
}

/** A pointwise graph of a fixed shape (1×1 stride 1). */
const pwShape = (h: number, w: number, cin: number, cout: number) => ({ h, w, cin, cout, kH: 1, kW: 1, sH: 1, sW: 1, padding: 'same' as const });

describe.skipIf(skip)('AVX2 int8 kernels on the host (native)', () => {
  it('every quantized variant over random, tail and adversarial cases equals the reference bit for bit', async () => {
    const tester = new KernelTester(host, 'kavq_');
    const quantVariants = provider!.variants.filter((v) => WANT[v.key]);
    expect(quantVariants.map((v) => v.key)).toEqual(Object.keys(WANT));
    for (const [vi, v] of quantVariants.entries()) {
      for (const [fi, [family, want]] of (Object.entries(WANT[v.key]!) as [Family, number][]).entries()) {
        let got = 0;
        for (let i = 0; got < want && i < 40 * want; i++) {
          const seed = SEED + 200_000 * (vi + 1) + 10_000 * fi + i;
          const dtype = 'int8';
          if (tester.addIfSelected({ family, dtype, seed, profile: i % 2 === 0 ? 'plain' : 'edge', variant: v })) got++;
        }
        expect(got, `${v.key} ${family}: cases taken`).toBe(want);
      }
    }
    const gemm = provider!.variants.find((v) => v.key === 'avx2/gemm/s8')!;
    // Tails: the chunked path (2·1024·260 B of weights > 512 KB: chunks of 32 pixels, the last 17), odd K with a
    // 5-channel tail of an 8-wide panel and 5 pixels, a 13-channel tail of a 16-wide panel, K pairs not a multiple of the unroll.
    const fixed: [ReturnType<typeof pwShape>, 'int8'][] = [
      [pwShape(9, 9, 1024, 260), 'int8'],
      [pwShape(1, 5, 7, 21), 'int8'],
      [pwShape(3, 3, 13, 29), 'int8'],
      [pwShape(2, 3, 6, 16), 'int8'],
      [pwShape(7, 1, 10, 8), 'int8'],
      [pwShape(1, 1, 1, 1), 'int8'],
    ];
    let n = 0;
    for (const [shape, dtype] of fixed) {
      for (const profile of ['plain', 'edge'] as const) {
        const graph = convCase(`kavqpw${n}`, dtype, SEED + 300 + n, shape, profile).graph;
        expect(tester.addIfSelected({ family: 'pointwise', dtype, seed: SEED + 300 + n, graph, variant: gemm })).toBe(true);
        n++;
      }
    }
    // Adversarial values: zero points at both ends, weights at -128 / -127 / 127 (with weight zero points -128, -7 and 127:
    // w - w_zp up to ±255, int16 panels), constant inputs at the minimum and the maximum (the sums at their largest magnitude).
    const adversarial: { dtype: 'int8'; x: number; y: number; w?: number; weights: (i: number) => number }[] = [
      { dtype: 'int8', x: -128, y: 127, weights: () => -128 },
      { dtype: 'int8', x: 127, y: -128, weights: (i) => (i % 3 === 0 ? 127 : i % 3 === 1 ? -127 : -128) },
      { dtype: 'int8', x: -128, y: -128, weights: () => 127 },
      { dtype: 'int8', x: 127, y: 127, w: -7, weights: (i) => (i % 2 === 0 ? -128 : 127) },
      { dtype: 'int8', x: 0, y: 0, w: 127, weights: (i) => (i % 2 === 0 ? -128 : 127) },
      { dtype: 'int8', x: -128, y: 127, w: -128, weights: () => 127 },
    ];
    for (const [ai, a] of adversarial.entries()) {
      for (const family of ['pointwise', 'fc'] as const) {
        for (const [ei, extremesMax] of [0, 1, undefined].entries()) {
          const seed = SEED + 400 + 10 * ai + 3 * (family === 'fc' ? 1 : 0) + ei;
          const base = kernelCase(`kavqadv${n}`, family, a.dtype, seed, ai % 2 === 0 ? 'plain' : 'edge', {
            x: a.x,
            y: a.y,
            ...(a.w !== undefined ? { w: a.w } : {}),
          });
          const graph = withWeights(base.graph, a.weights);
          const ok = tester.addIfSelected({ family, dtype: a.dtype, seed, graph, variant: gemm, ...(extremesMax !== undefined ? { extremesMax } : {}) });
          expect(ok, `adversarial case ${ai} ${family}`).toBe(true);
          n++;
        }
      }
    }
    // Depthwise: every channel block form (16, 8, the tail of 1..7 through tap buffers), no interior pixel, stride 2 on
    // one axis, VALID, and adversarial zero points / weights / constant inputs.
    const dw = provider!.variants.find((v) => v.key === 'avx2/dw/s8-3x3')!;
    const fixedDw: [number, number, number, number, number, 'same' | 'valid'][] = [
      [2, 2, 13, 1, 1, 'same'],
      [7, 10, 37, 1, 2, 'same'],
      [8, 9, 24, 2, 1, 'valid'],
      [5, 21, 3, 2, 2, 'same'],
      [9, 6, 8, 1, 1, 'valid'],
      [6, 6, 16, 2, 2, 'same'],
      [1, 1, 7, 1, 1, 'same'],
    ];
    // One input channel into dm outputs (person_detect's stem: 96x96x1, dm 8, stride 2), with 16 + 8 + tail blocks.
    const fixedBcast: [number, number, number, number, number, 'same' | 'valid'][] = [
      [12, 12, 8, 2, 2, 'same'],
      [7, 5, 29, 1, 1, 'same'],
      [6, 9, 3, 2, 1, 'valid'],
      [5, 5, 16, 1, 2, 'same'],
    ];
    for (const [i, [h, w, c, sH, sW, padding]] of [...fixedDw, ...fixedBcast].entries()) {
      const bcast = i >= fixedDw.length;
      for (const profile of ['plain', 'edge'] as const) {
        const seed = SEED + 500 + 2 * i + (profile === 'edge' ? 1 : 0);
        const spec = { h, w, kH: 3, kW: 3, sH, sW, padding, cin: bcast ? 1 : c, dm: bcast ? c : 1 };
        const graph = depthwiseCase(`kavqdw${n}`, spec, 'int8', seed, profile).graph;
        expect(tester.addIfSelected({ family: 'depthwise', dtype: 'int8', seed, graph, variant: dw })).toBe(true);
        n++;
      }
    }
    for (const [ai, a] of adversarial.entries()) {
      for (const [ei, extremesMax] of [0, 1, undefined].entries()) {
        const seed = SEED + 600 + 3 * ai + ei;
        const spec = {
          h: 5 + ai,
          w: 4 + ei,
          kH: 3,
          kW: 3,
          sH: 1 + (ai % 2),
          sW: 1 + (ei % 2),
          padding: ai % 3 === 0 ? ('valid' as const) : ('same' as const),
          cin: [24, 13, 16, 5, 40][ai % 5]!,
          dm: 1,
        };
        const base = depthwiseCase(
          `kavqdwadv${n}`,
          { ...spec, zps: { x: a.x, y: a.y, ...(a.w !== undefined ? { w: a.w } : {}) } },
          'int8',
          seed,
          ai % 2 === 0 ? 'plain' : 'edge',
        );
        const graph = withWeights(base.graph, a.weights);
        expect(
          tester.addIfSelected({ family: 'depthwise', dtype: 'int8', seed, graph, variant: dw, ...(extremesMax !== undefined ? { extremesMax } : {}) }),
          `adversarial dw ${ai}`,
        ).toBe(true);
        n++;
      }
    }
    // Convolution: a 3x3 stride-2 SAME stem (K = 27, odd), a 5x3 VALID conv with a 16 + 3 channel tail, a 2x2 stride-1
    // SAME conv of 8 channels into 40, and adversarial values on a 3x3 conv.
    const conv = provider!.variants.find((v) => v.key === 'avx2/conv/s8')!;
    const fixedConv = [
      { h: 32, w: 32, cin: 3, cout: 8, kH: 3, kW: 3, sH: 2, sW: 2, padding: 'same' as const },
      { h: 9, w: 7, cin: 5, cout: 19, kH: 5, kW: 3, sH: 1, sW: 2, padding: 'valid' as const },
      { h: 6, w: 5, cin: 8, cout: 40, kH: 2, kW: 2, sH: 1, sW: 1, padding: 'same' as const },
    ];
    for (const [i, shape] of fixedConv.entries()) {
      for (const profile of ['plain', 'edge'] as const) {
        const seed = SEED + 700 + 2 * i + (profile === 'edge' ? 1 : 0);
        const graph = convCase(`kavqcv${n}`, 'int8', seed, shape, profile).graph;
        expect(tester.addIfSelected({ family: 'conv', dtype: 'int8', seed, graph, variant: conv })).toBe(true);
        n++;
      }
    }
    for (const [ai, a] of adversarial.entries()) {
      const seed = SEED + 800 + ai;
      const shape = { h: 7, w: 6, cin: 3 + ai, cout: 9 + 3 * ai, kH: 3, kW: 3, sH: 1 + (ai % 2), sW: 2, padding: 'same' as const, xZp: a.x };
      const graph = withWeights(convCase(`kavqcvadv${n}`, 'int8', seed, shape, ai % 2 === 0 ? 'plain' : 'edge').graph, a.weights);
      expect(tester.addIfSelected({ family: 'conv', dtype: 'int8', seed, graph, variant: conv, extremesMax: ai % 2 })).toBe(true);
      n++;
    }
    const run = await tester.run();
    console.log(`avx2 int8 on host: ${run.results.length} cases in ${run.builds} build(s) (${run.cached} cached), ${(run.ms / 1000).toFixed(1)} s`);
    expect(describeFailures(run.results)).toEqual([]);
    expect(run.results.every((r) => r.isa === 'avx2' && r.spec.dtype === 'int8' && r.tolerance === 0 && r.elements > 0)).toBe(true);
    for (const r of run.results) expect(parseKernelName(r.kernel).tile).toBe(r.spec.family === 'depthwise' ? '1x16' : '4x16');
    // The sample reaches the tails and forms it must.
    const geo = (r: (typeof run.results)[number]) => r.spec.geometry as { h?: number; w?: number; cin?: number; cout?: number; k?: number };
    const pw = run.results.filter((r) => r.spec.family === 'pointwise' && r.spec.geometry.fixed === undefined);
    const dws = run.results.filter((r) => r.spec.family === 'depthwise');
    expect(dws.length).toBe(WANT['avx2/dw/s8-3x3']!.depthwise! + 2 * (fixedDw.length + fixedBcast.length) + 3 * adversarial.length);
    expect(dws.filter((r) => Number(parseKernelName(r.kernel).flags?.dm ?? 1) > 1).length).toBeGreaterThanOrEqual(2 * fixedBcast.length);
    const dgeo = (r: (typeof dws)[number]) => r.spec.geometry as { cin?: number; sH?: number; padding?: string };
    expect(dws.some((r) => dgeo(r).cin! % 8 !== 0 && dgeo(r).cin! > 16)).toBe(true);
    expect(dws.some((r) => dgeo(r).sH === 2)).toBe(true);
    expect(dws.some((r) => dgeo(r).padding === 'valid')).toBe(true);
    expect(pw.some((r) => (geo(r).h! * geo(r).w!) % 4 !== 0 && geo(r).h! * geo(r).w! > 4)).toBe(true);
    expect(pw.some((r) => geo(r).cout! % 16 > 0 && geo(r).cout! % 16 <= 8)).toBe(true);
    expect(pw.some((r) => geo(r).cout! % 16 > 8)).toBe(true);
    expect(pw.some((r) => geo(r).cin! % 2 === 1)).toBe(true);
    expect(run.results.some((r) => parseKernelName(r.kernel).flags?.w8 === true)).toBe(true);
    expect(run.results.some((r) => parseKernelName(r.kernel).flags?.w16 === true)).toBe(true);
    expect(run.results.some((r) => parseKernelName(r.kernel).flags?.ls === true)).toBe(true);
    expect(run.results.some((r) => parseKernelName(r.kernel).flags?.ls === undefined)).toBe(true);
  }, 600_000);

  it('MobileNetV1 0.25 int8 on the host: which layers get which variant', () => {
    const g = loadModel('examples/models/mobilenet_v1_0.25_96_int8.json');
    const p = generateProject(g, { name: 'm', target: host, kernels: 'simd' });
    const byVariant = new Map<string, number>();
    for (const l of p.layers) {
      const op = g.ops[l.index]!;
      if (op.kind !== 'conv2d' && op.kind !== 'depthwise_conv2d' && op.kind !== 'fully_connected') continue;
      const k = l.variantKey ?? `generic ${op.kind}`;
      byVariant.set(k, (byVariant.get(k) ?? 0) + 1);
      if (op.kind === 'conv2d' && g.tensors[op.inputs[1]!]!.shape[1] === 1) expect(l.variantKey, `layer ${l.index}`).toBe('avx2/gemm/s8');
      if (op.kind === 'depthwise_conv2d') expect(l.variantKey, `layer ${l.index}`).toBe('avx2/dw/s8-3x3');
      if (l.variantKey) expect(parseKernelName(l.kernel).isa).toBe('avx2');
    }
    // 13 pointwise layers and the 1x1 classifier conv on the GEMM, the 13 depthwise layers on the 3x3 kernel, the stem on
    // the patch conv: no int8 conv, depthwise or pointwise layer on generic C.
    expect(Object.fromEntries(byVariant)).toEqual({ 'avx2/gemm/s8': 14, 'avx2/dw/s8-3x3': 13, 'avx2/conv/s8': 1 });
    expect(p.params.avx2).toBe(true);
    expect(p.files.get('m.h')).toContain('Requires an x86-64 CPU with AVX2 and FMA');
  });

  it('MobileNetV1 0.25 int8 built by clang under ASan + UBSan: no finding, every layer bit-exact on seeded and extreme inputs', async () => {
    // (gcc: test/sanitize/host.test.ts's sample; the int8 torture zoo: test/acceptance/zoo.test.ts on host)
    const g = loadModel('examples/models/mobilenet_v1_0.25_96_int8.json');
    expect(await sanitizerProblems(g, host, hostSanitizer('clang'), hostPlain('clang'), extremeInputs(g))).toEqual([]);
  }, 300_000);
});
