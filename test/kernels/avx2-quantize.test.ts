/**
 * `avx2/quantize/f32` (src/codegen/isa/avx2/quantize.ts): float32 → int8 /
 * uint8 quantization 8 values a step on the x86-64 host, bit for bit the
 * reference's (TFLite AffineQuantize: float division, ties away from zero,
 * NaN → zero point, saturation):
 * - the kernel tester forcing the variant over random lengths (tails of 1..7),
 *   scales and zero points, plus the all-extremes input;
 * - hand-made edge inputs through the generated C: NaN, ±Inf, ±0, exact ties
 *   ±(k + 0.5)·scale and their float neighbours, values at ±2^30·scale and
 *   ±2^31·scale, the largest float, subnormals, for zero points at both ends
 *   of int8 and uint8 and a scale that is not a power of two.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { isaKernelsFor } from '../../src/codegen/isa/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { host } from '../../src/targets/index.js';
import { buildAndRun, bytesOf, GraphBuilder, q, removeDir, tempDir, writeFiles } from '../codegen/helpers.js';
import { describeFailures, KernelTester } from '../helpers/kernelTester.js';
import { prepare } from '../ops/helpers.js';
import { SEED } from './config.js';

const provider = isaKernelsFor(host);
const skip = provider?.isa !== 'avx2';
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** The float just above (dir 1) or below (dir -1) a float32 value. */
function nextF32(x: number, dir: 1 | -1): number {
  const f = new Float32Array([x]);
  const u = new Int32Array(f.buffer);
  if (x === 0) u[0] = dir > 0 ? 1 : -2147483647;
  else u[0]! += (x > 0 ? 1 : -1) * dir;
  return f[0]!;
}

function edgeInput(scale: number): Float32Array {
  const v: number[] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -1e-45];
  for (const k of [0, 1, 2, 5, 126, 127, 128, 255, 256]) {
    for (const sgn of [1, -1]) {
      const tie = Math.fround(sgn * (k + 0.5) * scale);
      v.push(tie, nextF32(tie, 1), nextF32(tie, -1), Math.fround(sgn * k * scale));
    }
  }
  for (const p of [30, 31, 32]) v.push(Math.fround(2 ** p * scale), Math.fround(-(2 ** p) * scale), nextF32(Math.fround(2 ** p * scale), -1));
  // Not a multiple of 8: the generic tail runs too.
  while (v.length % 8 !== 5) v.push(Math.fround((v.length - 40) * scale * 0.75));
  return Float32Array.from(v);
}

describe.skipIf(skip)('AVX2 float32 → int8/uint8 quantization on the host (native)', () => {
  it('the kernel tester: random lengths, scales and zero points, bit for bit', async () => {
    const v = provider!.variants.find((x) => x.key === 'avx2/quantize/f32')!;
    expect(v).toBeDefined();
    const tester = new KernelTester(host, 'kavqz_');
    let got = 0;
    for (let i = 0; got < 16 && i < 200; i++) {
      if (tester.addIfSelected({ family: 'quantize', dtype: i % 2 ? 'uint8' : 'int8', seed: SEED + 900_000 + i, variant: v })) got++;
    }
    expect(got).toBe(16);
    const run = await tester.run();
    expect(describeFailures(run.results)).toEqual([]);
    expect(run.results.every((r) => r.isa === 'avx2' && r.tolerance === 0 && r.elements > 0)).toBe(true);
    // Lengths with every tail of the 8-value step are reached.
    expect(new Set(run.results.map((r) => r.elements % 8)).size).toBeGreaterThanOrEqual(4);
  }, 300_000);

  const cases: [string, 'int8' | 'uint8', number, number][] = [
    ['s8 2^-4 zp -128', 'int8', 2 ** -4, -128],
    ['s8 2^-4 zp 0', 'int8', 2 ** -4, 0],
    ['s8 2^-4 zp 127', 'int8', 2 ** -4, 127],
    ['s8 0.1 zp -3', 'int8', Math.fround(0.1), -3],
    ['u8 2^-4 zp 0', 'uint8', 2 ** -4, 0],
    ['u8 2^-4 zp 255', 'uint8', 2 ** -4, 255],
    ['u8 0.0078125 zp 128', 'uint8', 0.0078125, 128],
  ];
  it.each(cases)('edge inputs, %s: the generated C equals the reference', (_label, dtype, scale, zp) => {
    const input = edgeInput(scale);
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, input.length], 'float32');
    const y = b.tensor('y', [1, input.length], dtype, { quant: q(scale, zp) });
    b.op({ kind: 'quantize', name: 'q', inputs: [x], outputs: [y] });
    const g = prepare(b.build('qz', [x], [y]));
    const p = generateProject(g, { target: host, kernels: 'simd' });
    expect(p.layers[0]!.kernel).toBe(`mobilec_quantize_${dtype === 'int8' ? 's8' : 'u8'}_avx2_t8_${input.length}`);
    const dir = tempDir('avx2q');
    dirs.push(dir);
    writeFiles(dir, p);
    const out = buildAndRun(dir, p, bytesOf(input)).output;
    const got = dtype === 'int8' ? [...new Int8Array(out.buffer, out.byteOffset, out.length)] : [...out];
    const want = [...runGraph(g, [input]).outputs[0]!];
    expect(got).toEqual(want);
    // The edges are reached: both saturations, the zero point (NaN), ties rounded away from zero.
    const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
    if (zp !== lo) expect(want).toContain(lo);
    if (zp !== hi) expect(want).toContain(hi);
    expect(want[0]).toBe(zp);
  });
});
