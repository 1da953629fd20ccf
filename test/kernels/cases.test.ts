/**
 * The kernel tester's own logic, without an emulator: the case generator
 * really produces the edge cases it promises (every requantization shift
 * class up to QuantizeMultiplier's limits, extreme zero points, uint8 weight
 * zero points, narrow and full clamps, channel tails, in-place streaming),
 * kernel identification by name, and the coverage rule for registered
 * variants (a key no case selected is a gap).
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { formatKernelId } from '../../src/codegen/kernelId.js';
import type { Conv2DOp, FullyConnectedOp } from '../../src/model/ir.js';
import { targetByName } from '../../src/targets/index.js';
import { FAMILIES, kernelCase } from '../helpers/kernelCases.js';
import { KernelTester, kernelIdentity, variantCoverage, type CaseResult } from '../helpers/kernelTester.js';

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);

describe('kernel tester cases', () => {
  it('every family and dtype yields a valid single-op graph, deterministic in its seed', () => {
    for (const family of FAMILIES) {
      for (const dtype of ['int8', 'uint8', 'float32'] as const) {
        for (const seed of [1, 2, 3]) {
          const a = kernelCase('c', family, dtype, seed);
          expect(a.graph.ops).toHaveLength(1);
          // A quantize case's dtype is its output's; a float32 one quantizes to int8.
          expect(a.graph.tensors[a.graph.outputs[0]!]!.dtype).toBe(family === 'quantize' && dtype === 'float32' ? 'int8' : dtype);
          expect(kernelCase('c', family, dtype, seed).spec).toEqual(a.spec);
        }
      }
    }
  });

  it('int8 weighted ops reach every requantization edge of QuantizeMultiplier', () => {
    const seen = { right: 0, zero: 0, left: 0, roundup: 0, minShift: 0, zeroed: 0, max: 0, perChannel: 0, perTensor: 0 };
    for (const seed of SEEDS) {
      const op = kernelCase('c', seed % 2 ? 'conv' : 'fc', 'int8', seed).graph.ops[0] as Conv2DOp | FullyConnectedOp;
      const { multiplier, shift } = op.requant!;
      if (multiplier.length > 1) seen.perChannel++;
      else seen.perTensor++;
      for (const [i, m] of multiplier.entries()) {
        const s = shift[i]!;
        if (m === 0) seen.zeroed++;
        else if (m === 2147483647 && s === 30) seen.max++;
        else if (s === -31) seen.minShift++;
        else if (m === 2 ** 30)
          seen.roundup++; // (1 − 2^-46)·2^e: the mantissa rounded up to 2^31, halved
        else if (s < 0) seen.right++;
        else if (s === 0) seen.zero++;
        else seen.left++;
        expect(m === 0 || (m >= 2 ** 30 && m <= 2147483647)).toBe(true);
      }
    }
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(10);
  });

  it('zero points reach both ends of the range; uint8 weights carry zero points; clamps are narrow and full', () => {
    const zps = new Set<number>();
    const wzps = new Set<number>();
    const clamps = new Set<string>();
    for (const seed of SEEDS) {
      const g = kernelCase('c', 'depthwise', 'uint8', seed).graph;
      const op = g.ops[0] as Conv2DOp;
      zps.add(g.tensors[op.inputs[0]!]!.quant!.zeroPoint[0]!);
      wzps.add(g.tensors[op.inputs[1]!]!.quant!.zeroPoint[0]!);
      const { actMin, actMax } = op.requant!;
      clamps.add(actMin === 0 && actMax === 255 ? 'full' : 'narrow');
      const i8 = kernelCase('c', 'pointwise', 'int8', seed).graph;
      zps.add(i8.tensors[i8.outputs[0]!]!.quant!.zeroPoint[0]!);
    }
    for (const z of [-128, 127, 0, 255, 128]) expect(zps.has(z), `zero point ${z}`).toBe(true);
    for (const z of [0, 255, 128]) expect(wzps.has(z), `weight zero point ${z}`).toBe(true);
    expect([...clamps].sort()).toEqual(['full', 'narrow']);
  });

  it('geometries cover channel tails, strides 1 to 3, both paddings, depth multipliers and the stem', () => {
    const cout = new Set<number>();
    const strides = new Set<number>();
    const pads = new Set<string>();
    const dms = new Set<number>();
    let stems = 0;
    for (const seed of SEEDS) {
      const c = kernelCase('c', seed % 2 ? 'conv' : 'depthwise', 'int8', seed).spec.geometry as Record<string, number | string>;
      cout.add((c.cout as number) % 16);
      strides.add(c.sH as number);
      pads.add(c.padding as string);
      dms.add(c.dm as number);
      if (c.cin === 3 && c.kH === 3 && c.sH === 2 && c.padding === 'same') stems++;
    }
    expect(cout.size).toBeGreaterThan(8);
    expect([...strides].sort()).toEqual([1, 2, 3]);
    expect([...pads].sort()).toEqual(['same', 'valid']);
    expect([1, 2, 3, 16].every((d) => dms.has(d))).toBe(true);
    expect(stems).toBeGreaterThan(10);
  });

  it('a streaming single layer is planned in place (its output overlaps its input)', () => {
    const target = targetByName('cortex-m4');
    let overlapping = 0;
    for (const seed of SEEDS.slice(0, 40)) {
      const { graph } = kernelCase('c', 'pointwise', 'int8', seed);
      const p = generateProject(graph, { name: 'c', target, kernels: 'simd' });
      const x = p.arena.offsets.get(graph.inputs[0]!)!;
      const y = p.arena.offsets.get(graph.outputs[0]!)!;
      const xBytes = graph.tensors[graph.inputs[0]!]!.shape.reduce((a, b) => a * b, 1);
      if (y < x + xBytes && x < y + p.layers[0]!.bytes) overlapping++;
    }
    expect(overlapping).toBeGreaterThan(10);
  });
});

describe('kernel identification and variant coverage', () => {
  it('reads the ISA from a grammar name, and refuses a name outside the grammar', () => {
    const neon = formatKernelId({ op: 'pw', dtype: 's8', isa: 'neon', tile: '4x16', flags: { rn: true } });
    const c = formatKernelId({ op: 'pw', dtype: 's8', isa: 'c' });
    expect(kernelIdentity(neon)).toEqual({ isa: 'neon', simd: true });
    expect(kernelIdentity(c)).toEqual({ isa: 'c', simd: false });
    expect(() => kernelIdentity('mobilec_conv_1x1s1_int8_dsp_5x5x16_32')).toThrow(/not a kernel name/);
  });

  it('takes a fixed single-op graph (a geometry and quantization of the caller’s choosing), and refuses a whole graph', () => {
    const tester = new KernelTester(targetByName('cortex-m55'), 'fx');
    const { graph } = kernelCase('anything', 'pointwise', 'int8', 5, 'plain');
    const added = tester.add({ family: 'pointwise', dtype: 'int8', seed: 5, graph });
    expect(added.name).toBe('fx0');
    expect(added.simd).toBe(added.isa !== 'c');
    expect(added.kernel).toMatch(/^mobilec_/);
    expect(tester.size).toBe(1);
    const two = { ...graph, ops: [graph.ops[0]!, graph.ops[0]!] };
    expect(() => tester.add({ family: 'pointwise', dtype: 'int8', seed: 6, graph: two })).toThrow(/has 2 ops/);
  });

  const result = (variant: string | null, isa: string, simd: boolean): CaseResult => ({
    name: 'k',
    spec: { family: 'pointwise', dtype: 'int8', seed: 1, geometry: {}, quant: {} },
    variant,
    variantIsa: variant === null ? null : variant.split('/')[0]!,
    kernel: 'k',
    isa,
    simd,
    elements: 1,
    mismatches: 0,
    maxAbsDiff: 0,
    tolerance: 0,
  });

  it('a registered key that no case selected is a gap; declines are counted, not gaps', () => {
    const keys = ['neon/pw/s8', 'neon/dw/s8', 'dsp/conv/s8'];
    const { byKey, gaps } = variantCoverage(keys, [
      result('neon/pw/s8', 'neon', true),
      result('neon/pw/s8', 'c', false),
      result('neon/dw/s8', 'c', false),
      result('dsp/conv/s8', 'neon', true), // ran, but not a kernel of the variant's ISA
      result(null, 'neon', true),
    ]);
    expect(gaps).toEqual(['neon/dw/s8', 'dsp/conv/s8']);
    expect(byKey.get('neon/pw/s8')).toEqual({ cases: 2, took: 1, declined: 1 });
    expect(byKey.get('neon/dw/s8')).toEqual({ cases: 1, took: 0, declined: 1 });
  });
});
