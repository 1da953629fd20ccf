/**
 * The quantized unary ops (HARD_SWISH, LOGISTIC, standalone RELU / RELU6 /
 * RELU_N1_TO_1) on every SIMD target: each int8/uint8 case runs its ISA's
 * table-lookup variant (src/codegen/isa/lut.ts; NEON TBL/TBX, Helium gather,
 * the unrolled byte lookup on the DSP and armv7) and equals the reference bit
 * for bit: random cases (kernelCases.ts `unary`: lengths around the 16-value
 * blocks, zero points at both extremes, output scales 2^-6.5 .. 2^4.3 times
 * the input's), and long tensors whose random input reaches every byte, with
 * zero points at the extremes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Activation, Graph, Op } from '../../src/model/ir.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { GraphBuilder, q } from '../codegen/helpers.js';
import { mobilec } from '../helpers/cli.js';
import { describeFailures, KernelTester } from '../helpers/kernelTester.js';
import { prepare } from '../ops/unary.js';
import { runnable, SIMD_TARGETS } from './config.js';

/** A 4099-value tensor (tail 3 after the 16-value blocks): its random inputs take every byte. */
function longCase(name: string, kind: 'hard_swish' | 'logistic' | Activation, dtype: 'int8' | 'uint8', qIn: [number, number], qOut: [number, number]): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('x', [1, 4099], dtype, { quant: q(...qIn) });
  const y = b.tensor('y', [1, 4099], dtype, { quant: q(...qOut) });
  const io = { name: `${name}_op`, inputs: [x], outputs: [y] };
  const op: Op = kind === 'hard_swish' || kind === 'logistic' ? { kind, ...io } : { kind: 'activation', ...io, activation: kind };
  b.op(op);
  return prepare(b.build(name, [x], [y]));
}

const LONG = [
  { kind: 'hard_swish', dtype: 'int8', qIn: [0.05, 127], qOut: [0.02, -128] },
  { kind: 'hard_swish', dtype: 'uint8', qIn: [0.1, 0], qOut: [0.01, 255] },
  { kind: 'logistic', dtype: 'int8', qIn: [0.03, -128], qOut: [1 / 256, -128] },
  { kind: 'logistic', dtype: 'uint8', qIn: [0.07, 255], qOut: [1 / 256, 0] },
  { kind: 'relu6', dtype: 'int8', qIn: [0.04, 0], qOut: [0.03, -128] },
  { kind: 'relu_n1_to_1', dtype: 'uint8', qIn: [0.01, 128], qOut: [0.05, 0] },
] as const;

const SEEDS = Array.from({ length: 12 }, (_, i) => 900 + i);
const targets = runnable(SIMD_TARGETS);

describe.skipIf(targets.length === 0).each(targets.map((t) => [t.name, t] as const))('unary table lookup on %s', (name, target) => {
  it('every int8/uint8 case runs the ISA table-lookup variant and equals the reference', async () => {
    const tester = new KernelTester(target, `klut_${name.replace(/-/g, '_')}_`);
    for (const seed of SEEDS) tester.add({ family: 'unary', dtype: seed % 2 === 0 ? 'int8' : 'uint8', seed });
    for (const [i, c] of LONG.entries()) {
      const graph = longCase(`klut_long_${name.replace(/-/g, '_')}_${i}`, c.kind, c.dtype, [...c.qIn], [...c.qOut]);
      tester.add({ family: 'unary', dtype: c.dtype, seed: 950 + i, graph });
    }
    const run = await tester.run();
    console.log(`unary ${name}: ${run.results.length} cases, kernels ${[...new Set(run.results.map((r) => r.kernel))].slice(0, 4).join(' ')} ...`);
    expect(describeFailures(run.results)).toEqual([]);
    expect(run.results).toHaveLength(SEEDS.length + LONG.length);
    const isa = target.simd === 'dsp' ? 'dsp' : target.simd === 'helium' ? 'mve' : target.arch === 'aarch64' ? 'neon' : 'neon32';
    // Only `<isa>/lut/table` names a lut kernel with the ISA's tag.
    expect(
      run.results.filter((r) => !(r.simd && parseKernelName(r.kernel).op === 'lut' && parseKernelName(r.kernel).isa === isa)).map((r) => r.kernel),
    ).toEqual([]);
  }, 600_000);
});

/**
 * Instructions per value of the three unary layers of a 32x32x16 int8 model
 * (16384 values each), counted under QEMU: NEON 11 per 16 values (LDR, 3 SUB,
 * TBL, 3 TBX, STR, SUBS, B.NE), Helium 4 per 16 (VLDRB, gather, VSTRB, LE),
 * the DSP / armv7 word form 29 per 8 (a word load, 4 extracts, 4 table loads,
 * 3 ORs, a word store per 4 values), the generic byte lookup about 4.25.
 */
const BOUNDS: Readonly<Record<string, { simd: number; generic: number }>> = {
  rpi4: { simd: 0.7, generic: 4 },
  'cortex-m55': { simd: 0.26, generic: 3.9 },
  'cortex-m4': { simd: 3.65, generic: 4 },
  'rpi-armv7': { simd: 3.65, generic: 4 },
};
const dir = mkdtempSync(join(tmpdir(), 'mobilec-lut-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = join(dir, 'unarynet.json');
writeFileSync(
  model,
  JSON.stringify({
    architecture: 'layers',
    dtype: 'int8',
    weights: { seed: 3 },
    input: { height: 32, width: 32, channels: 16 },
    layers: [{ op: 'hard_swish' }, { op: 'logistic' }, { op: 'relu6' }, { op: 'mean' }],
  }),
);
const countTargets = targets.filter((t) => t.name in BOUNDS);

describe.skipIf(countTargets.length === 0).each(countTargets.map((t) => [t.name] as const))('unary instructions per value on %s', (name) => {
  it('the SIMD table lookup within its bound, the generic lookup at least its', () => {
    const per = (kernels: string) => {
      const r = mobilec(['run', model, '--target', name, '--kernels', kernels, '--seed', '1', '--profile', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const layers = (JSON.parse(r.stdout) as { layers: { op: string; instructions: number }[] }).layers.slice(0, 3);
      expect(layers.map((l) => l.op)).toEqual(['hard_swish', 'logistic', 'activation']);
      return layers.map((l) => l.instructions / 16384);
    };
    // The three elementwise layers run in place: the arena is one 16384-byte tensor plus the mean's 16 bytes.
    expect(JSON.parse(mobilec(['run', model, '--target', name, '--seed', '1', '--json']).stdout).arenaBytes).toBe(16400);
    const simd = per('simd');
    const generic = per('generic');
    console.log(`${name}: instructions per value simd ${simd.map((v) => v.toFixed(3)).join(' ')}, generic ${generic.map((v) => v.toFixed(3)).join(' ')}`);
    for (const v of simd) expect(v).toBeLessThanOrEqual(BOUNDS[name]!.simd);
    for (const v of generic) expect(v).toBeGreaterThanOrEqual(BOUNDS[name]!.generic);
  }, 300_000);
});
