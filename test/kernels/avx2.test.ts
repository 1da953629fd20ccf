/**
 * The host's AVX2 + FMA float32 kernels (src/codegen/isa/avx2) through the
 * kernel tester, natively: every case forced onto one variant
 * (`tuning.only`) over random geometries of its families, plus fixed shapes
 * the random sample rarely reaches (pointwise past one pixel chunk, depthwise
 * without interior pixels, stride 2 on one axis, a stem conv over several
 * chunks), checked against the
 * reference within the float tolerance (FMA rounds once per multiply-add).
 * Also: the variants never apply where the target is not x86-64, and the
 * generated model states the AVX2 + FMA requirement and checks the CPU (a
 * build whose `__builtin_cpu_supports` answers no makes invoke return -1).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { isaKernelsFor } from '../../src/codegen/isa/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import type { DepthwiseConv2DOp } from '../../src/model/ir.js';
import { FLOAT_TOLERANCE } from '../../src/verify/compare.js';
import { host } from '../../src/targets/index.js';
import { convCase, kernelCase, type Family } from '../helpers/kernelCases.js';
import { describeFailures, KernelTester } from '../helpers/kernelTester.js';
import { FULL, SEED } from './config.js';

const provider = isaKernelsFor(host);
const skip = provider?.isa !== 'avx2';

/** Taken cases per variant and family (candidates: float32 random geometries). */
const WANT: Readonly<Record<string, Partial<Record<Family, number>>>> = {
  'avx2/gemm/f32': { pointwise: FULL ? 120 : 24, fc: FULL ? 60 : 8, conv: FULL ? 10 : 2 },
  'avx2/dw/f32-3x3': { depthwise: FULL ? 120 : 24 },
  'avx2/conv/f32': { conv: FULL ? 60 : 12 },
};

describe.skipIf(skip)('AVX2 float32 kernels on the host (native)', () => {
  it('every variant over random and fixed geometries equals the reference within the float tolerance', async () => {
    const tester = new KernelTester(host, 'kavx_');
    const taken = new Map<string, { family: Family; geometry: Record<string, unknown>; kernel: string }[]>();
    for (const [vi, v] of provider!.variants.entries()) {
      for (const [family, want] of Object.entries(WANT[v.key] ?? {}) as [Family, number][]) {
        let got = 0;
        for (let i = 0; got < want && i < 40 * want; i++) {
          const seed = SEED + 100_000 * (vi + 1) + 10_000 * Object.keys(WANT[v.key]!).indexOf(family) + i;
          const ok = tester.addIfSelected({ family, dtype: 'float32', seed, variant: v });
          if (!ok) continue;
          got++;
          const kc = kernelCase('x', family, 'float32', seed);
          const list = taken.get(v.key) ?? [];
          list.push({ family, geometry: kc.spec.geometry as Record<string, unknown>, kernel: '' });
          taken.set(v.key, list);
        }
        expect(got, `${v.key} ${family}: cases taken`).toBe(want);
      }
    }
    // Fixed shapes: a pointwise layer over two pixel chunks with a channel tail of 4 (K 1024, 81 pixels), and
    // one with a 16 + 5 channel tail on 5 pixels (no 6-pixel tile).
    const gemm = provider!.variants.find((v) => v.key === 'avx2/gemm/f32')!;
    const fixedPw = [
      { h: 9, w: 9, cin: 1024, cout: 20, kH: 1, kW: 1, sH: 1, sW: 1, padding: 'same' as const },
      { h: 1, w: 5, cin: 7, cout: 21, kH: 1, kW: 1, sH: 1, sW: 1, padding: 'same' as const },
    ];
    for (const [i, shape] of fixedPw.entries()) {
      const graph = convCase(`kavxpw${i}`, 'float32', SEED + i, shape).graph;
      expect(tester.addIfSelected({ family: 'pointwise', dtype: 'float32', seed: SEED + i, graph, variant: gemm })).toBe(true);
    }
    // Depthwise: no interior pixel (2x2 input, SAME), stride 2 on one axis only, VALID with a channel tail.
    const dw = provider!.variants.find((v) => v.key === 'avx2/dw/f32-3x3')!;
    const fixedDw: [number, number, number, number, number, 'same' | 'valid'][] = [
      [2, 2, 13, 1, 1, 'same'],
      [7, 10, 9, 1, 2, 'same'],
      [8, 9, 12, 2, 1, 'valid'],
      [5, 21, 24, 2, 2, 'same'],
    ];
    for (const [i, [h, w, c, sH, sW, padding]] of fixedDw.entries()) {
      const base = kernelCase(`kavxdw${i}`, 'depthwise', 'float32', SEED + 50 + i);
      // re-shape a random float32 depthwise case: same tensors' dtypes, the fixed geometry
      const graph = reshapeDepthwise(base.graph, h, w, c, sH, sW, padding);
      expect(tester.addIfSelected({ family: 'depthwise', dtype: 'float32', seed: SEED + 50 + i, graph, variant: dw })).toBe(true);
    }
    // A 3x3 stride-2 SAME stem over several patch chunks (its output 15x15 = 225 pixels, K = 27, chunks of 606: one;
    // 64x64 -> 32x32 = 1024 pixels: two), and a 5x3 VALID conv with a 16 + 3 channel tail.
    const conv = provider!.variants.find((v) => v.key === 'avx2/conv/f32')!;
    const fixedConv = [
      { h: 64, w: 64, cin: 3, cout: 32, kH: 3, kW: 3, sH: 2, sW: 2, padding: 'same' as const },
      { h: 9, w: 7, cin: 5, cout: 19, kH: 5, kW: 3, sH: 1, sW: 2, padding: 'valid' as const },
    ];
    for (const [i, shape] of fixedConv.entries()) {
      const graph = convCase(`kavxcv${i}`, 'float32', SEED + 70 + i, shape).graph;
      expect(tester.addIfSelected({ family: 'conv', dtype: 'float32', seed: SEED + 70 + i, graph, variant: conv })).toBe(true);
    }
    const run = await tester.run();
    console.log(`avx2 on host: ${run.results.length} cases in ${run.builds} build(s) (${run.cached} cached), ${(run.ms / 1000).toFixed(1)} s`);
    expect(describeFailures(run.results)).toEqual([]);
    expect(run.results.every((r) => r.isa === 'avx2' && r.tolerance >= FLOAT_TOLERANCE)).toBe(true);
    // The random sample reaches the tails it must: pixels not a multiple of 6, channel tails of each panel width.
    const pw = run.results.filter((r) => r.variant === 'avx2/gemm/f32' && r.spec.family === 'pointwise');
    const geo = (r: (typeof pw)[number]) => r.spec.geometry as { h: number; w: number; cout: number };
    expect(pw.some((r) => (geo(r).h * geo(r).w) % 6 !== 0 && geo(r).h * geo(r).w > 6)).toBe(true);
    expect(pw.some((r) => geo(r).cout % 16 > 0 && geo(r).cout % 16 <= 8)).toBe(true);
    expect(pw.some((r) => geo(r).cout % 16 > 8)).toBe(true);
    const dws = run.results.filter((r) => r.variant === 'avx2/dw/f32-3x3');
    const dgeo = (r: (typeof dws)[number]) => r.spec.geometry as { cin: number; sH: number; padding: string };
    expect(dws.some((r) => dgeo(r).cin % 8 !== 0)).toBe(true);
    expect(dws.some((r) => dgeo(r).sH === 2)).toBe(true);
    expect(dws.some((r) => dgeo(r).padding === 'valid')).toBe(true);
    for (const r of run.results) {
      const id = parseKernelName(r.kernel);
      expect([id.isa, id.tile]).toEqual(['avx2', r.variant === 'avx2/dw/f32-3x3' ? '4x8' : '6x16']);
    }
  }, 600_000);

  it('never applies where the target is not x86-64, and the model states and checks the requirement', () => {
    const g = kernelCase('m', 'pointwise', 'float32', SEED).graph;
    const on = generateProject(g, { name: 'm', target: host, kernels: 'simd' });
    expect(on.layers[0]!.variantKey).toBe('avx2/gemm/f32');
    expect(on.params.avx2).toBe(true);
    expect(on.files.get('m.h')).toContain('Requires an x86-64 CPU with AVX2 and FMA');
    expect(on.files.get('m.c')).toContain('__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")');
    const other = generateProject(g, { name: 'm', target: { ...host, arch: 'native' }, kernels: 'simd' });
    expect([other.layers[0]!.generic, other.params.avx2]).toEqual([true, false]);
    expect(other.files.get('m.c')).not.toContain('__builtin_cpu_supports');
    // int8 layers take the quantized AVX2 GEMM (test/kernels/avx2-int8.test.ts) on x86-64 only.
    const qg = kernelCase('m', 'pointwise', 'int8', SEED).graph;
    const q = generateProject(qg, { name: 'm', target: host, kernels: 'simd' });
    expect([q.layers[0]!.variantKey, q.params.avx2]).toEqual(['avx2/gemm/s8', true]);
    const qOther = generateProject(qg, { name: 'm', target: { ...host, arch: 'native' }, kernels: 'simd' });
    expect([qOther.layers[0]!.generic, qOther.params.avx2]).toEqual([true, false]);
  });

  it('invoke returns -1 when the CPU lacks AVX2 or FMA, 0 when it has them (gcc and clang, strict flags)', () => {
    const g = kernelCase('m', 'pointwise', 'float32', SEED).graph;
    const p = generateProject(g, { name: 'm', target: host, kernels: 'simd', weights: 'c' });
    expect(p.params.avx2).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'mobilec-avx2-'));
    try {
      for (const [f, content] of p.files) writeFileSync(join(dir, f), content);
      writeFileSync(join(dir, 'main.c'), '#include "m.h"\nint main(void) { return mobilec_m_invoke() == 0 ? 0 : 7; }\n');
      for (const cc of ['gcc', 'clang']) {
        for (const [define, code] of [
          [[], 0],
          [['-D__builtin_cpu_supports(f)=0'], 7],
        ] as const) {
          const exe = join(dir, `t_${cc}_${code}`);
          const b = spawnSync(
            cc,
            [
              '-std=c99',
              '-Wall',
              '-Wextra',
              '-Werror',
              '-pedantic',
              '-O2',
              ...define,
              '-I',
              dir,
              join(dir, 'm.c'),
              join(dir, 'm_weights.c'),
              join(dir, 'main.c'),
              '-o',
              exe,
            ],
            {
              encoding: 'utf8',
            },
          );
          expect(b.status, `${cc}: ${b.stderr}`).toBe(0);
          expect(spawnSync(exe).status, `${cc} ${define.join(' ')}`).toBe(code);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A float32 depthwise case's graph with another geometry (h x w x c input, 3x3, the given strides and padding). */
function reshapeDepthwise(graph: ReturnType<typeof kernelCase>['graph'], h: number, w: number, c: number, sH: number, sW: number, padding: 'same' | 'valid') {
  const op = graph.ops[0] as DepthwiseConv2DOp;
  const ext = (n: number, s: number) => (padding === 'same' ? Math.ceil(n / s) : Math.floor((n - 3) / s) + 1);
  const [xId, wId, bId] = op.inputs as [number, number, number];
  const yId = op.outputs[0]!;
  const tensors = graph.tensors.map((t) => {
    if (t.id === xId) return { ...t, shape: [1, h, w, c] };
    if (t.id === yId) return { ...t, shape: [1, ext(h, sH), ext(w, sW), c] };
    if (t.id === wId) return { ...t, shape: [1, 3, 3, c], data: Float32Array.from({ length: 9 * c }, (_, i) => Math.sin(i * 1.7) * 0.5) };
    if (t.id === bId) return { ...t, shape: [c], data: Float32Array.from({ length: c }, (_, i) => Math.cos(i) * 0.1) };
    return t;
  });
  return { ...graph, tensors, ops: [{ ...op, strideH: sH, strideW: sW, padding, depthMultiplier: 1 }] };
}
