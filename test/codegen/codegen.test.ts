import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateProject, type GeneratedProject } from '../../src/codegen/index.js';
import { OUTPUT_MARKER, writeProject } from '../../src/codegen/write.js';
import { MobilecError } from '../../src/model/errors.js';
import type { Graph, TensorData } from '../../src/model/ir.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { prepareSoftmax } from '../../src/numerics/fixedpoint.js';
import { host } from '../../src/targets/host.js';
import { Prng } from '../../src/util/prng.js';
import { floatGraph, int8Graph, intData, uint8Graph } from './graphs.js';
import { GraphBuilder, asFloat32, buildAndRun, bytesOf, compileStrict, hasCompiler, q, removeDir, tempDir, writeFiles } from './helpers.js';

const COMPILERS = ['gcc', 'clang'].filter(hasCompiler);
const dirs: string[] = [];
const newDir = (p: string) => {
  const d = tempDir(p);
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach(removeDir));

const gen = (g: Graph, name?: string): GeneratedProject => generateProject(g, { target: host, kernels: 'generic', ...(name ? { name } : {}) });

describe('generateProject: structure', () => {
  const p = gen(int8Graph());

  it('emits the project files', () => {
    expect([...p.files.keys()].sort()).toEqual(
      ['CMakeLists.txt', 'mobilec_abi.h', 'mobilec_runtime.h', 'qnet.c', 'qnet.h', 'qnet_abi.c', 'qnet_weights.S', 'qnet_weights.bin'].sort(),
    );
  });

  it('names kernels after their configuration and reports layers', () => {
    expect(p.layers.map((l) => l.kernel)).toEqual([
      'mobilec_conv_s8_c_k3s2same_9x9x3_8',
      'mobilec_dw_s8_c_dm2_k3s1same_5x5x8',
      'mobilec_dw_s8_c_k3s2valid_5x5x16',
      'mobilec_conv_s8_c_k1s1valid_2x2x16_12',
      'mobilec_avgpool_s8_c_k2s2valid_2x2x12',
      'view',
      'mobilec_fc_s8_c_1x12_5',
      'mobilec_softmax_s8_c_1x5',
    ]);
    expect(p.layers[5]!.arenaOffset).toBe(p.layers[4]!.arenaOffset);
    expect(p.layers.map((l) => l.bytes)).toEqual([200, 400, 64, 48, 12, 12, 5, 5]);
    // 3x3x3x8x25 + 3x3x16x25 + 3x3x16x4 + 16x12x4 + 12x5
    expect(p.macs).toBe(5400 + 3600 + 576 + 768 + 60);
    // 608 bytes with disjoint tensors; the streaming conv / depthwise kernels run in place.
    expect(p.arena.bytes).toBe(464);
  });

  it('defines the entry API and macros', () => {
    const h = p.files.get('qnet.h') as string;
    for (const s of [
      'int8_t *mobilec_qnet_input(void);',
      'const int8_t *mobilec_qnet_output(void);',
      'int mobilec_qnet_invoke(void);',
      '#define MOBILEC_QNET_ARENA_BYTES 464UL',
      '#define MOBILEC_QNET_MACS 10404ULL',
      '#define MOBILEC_QNET_INPUT_SCALE 0.05',
      '#define MOBILEC_QNET_INPUT_ZERO_POINT 3',
      '#define MOBILEC_QNET_OUTPUT_SCALE 0.00390625',
      '#define MOBILEC_QNET_OUTPUT_ZERO_POINT -128',
      '#define MOBILEC_QNET_INPUT_ELEMENTS 243',
      '#define MOBILEC_QNET_OUTPUT_ELEMENTS 5',
      '#define MOBILEC_QNET_INPUT_H 9',
      '#define MOBILEC_QNET_INPUT_W 9',
      '#define MOBILEC_QNET_INPUT_C 3',
      '#define MOBILEC_QNET_OUTPUT_SIZE 5',
      '#define MOBILEC_QNET_LAYER_COUNT 8',
      'void mobilec_qnet_set_layer_hook(mobilec_layer_hook_fn fn, void *ctx);',
    ]) {
      expect(h).toContain(s);
    }
    const c = p.files.get('qnet.c') as string;
    expect(c).not.toMatch(/malloc|alloca/);
    expect(c).toContain('extern const int8_t mobilec_qnet_w1[216] MOBILEC_QNET_CONST;');
    expect(c).toContain('MOBILEC_LAYER_DONE(5, ');
  });

  it('lays constants out in one blob with one .incbin symbol each', () => {
    const s = p.files.get('qnet_weights.S') as string;
    const bin = p.files.get('qnet_weights.bin') as Uint8Array;
    expect(bin.length).toBe(p.weightBytes);
    const incbins = [...s.matchAll(/\.incbin "qnet_weights\.bin", (\d+), (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(incbins.length).toBe(20); // 5 weights + 4 biases + 1 zero bias + 5x2 requant tables
    for (const [off, len] of incbins) {
      expect(off! % 16).toBe(0);
      expect(off! + len!).toBeLessThanOrEqual(bin.length);
    }
    // The first constant is conv1's filter, byte for byte.
    const g = int8Graph();
    expect([...bin.subarray(0, 216)]).toEqual([...bytesOf(g.tensors[1]!.data!)]);
  });

  it('deduplicates identical kernel configurations', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 4, 4, 8], 'float32');
    const w1 = b.tensor('w1', [1, 3, 3, 8], 'float32', { data: new Float32Array(72).fill(0.1) });
    const w2 = b.tensor('w2', [1, 3, 3, 8], 'float32', { data: new Float32Array(72).fill(0.2) });
    const t1 = b.tensor('t1', [1, 4, 4, 8], 'float32');
    const t2 = b.tensor('t2', [1, 4, 4, 8], 'float32');
    for (const [w, i, o] of [
      [w1, x, t1],
      [w2, t1, t2],
    ] as const) {
      b.op({
        kind: 'depthwise_conv2d',
        name: `dw${w}`,
        inputs: [i, w],
        outputs: [o],
        strideH: 1,
        strideW: 1,
        padding: 'same',
        activation: 'relu6',
        depthMultiplier: 1,
      });
    }
    const proj = gen(b.build('dedup', [x], [t2]));
    const c = proj.files.get('dedup.c') as string;
    const name = 'mobilec_dw_f32_c_k3s1same_4x4x8';
    expect(c.split(`static void ${name}(`).length - 1).toBe(1);
    expect(c.split(`    ${name}(`).length - 1).toBe(2);
  });

  it('rejects unfused ops and bad names', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 1, 1, 2], 'float32');
    const p = [0, 1, 2, 3].map((i) => b.tensor(`p${i}`, [2], 'float32', { data: Float32Array.from([1, 1]) }));
    const y = b.tensor('y', [1, 1, 1, 2], 'float32');
    // A batch norm must be folded (a standalone activation now has its own kernel).
    b.op({ kind: 'batch_norm', name: 'bn', inputs: [x, ...p], outputs: [y], epsilon: 1e-3 });
    expect(() => gen(b.build('m', [x], [y]))).toThrow(MobilecError);
    expect(() => gen(b.build('m', [x], [y]))).toThrow(/must be folded or fused/);
    expect(() => gen(int8Graph(), 'bad-name')).toThrow(/not a C identifier/);
  });
});

describe.each(COMPILERS)('generated C compiles warning-free with %s', (cc) => {
  it.each([
    ['float32', () => floatGraph()],
    ['int8', () => int8Graph()],
    ['uint8', () => uint8Graph()],
  ])('%s graph', (_label, make) => {
    const p = gen(make());
    const dir = newDir(`cc-${cc}`);
    writeFiles(dir, p);
    expect(() => compileStrict(dir, p, cc)).not.toThrow();
  });
});

function runOnC(g: Graph, input: TensorData, cc = COMPILERS[0]!) {
  const p = gen(g);
  const dir = newDir('run');
  writeFiles(dir, p);
  return buildAndRun(dir, p, bytesOf(input), cc);
}

describe('generated C computes hand-computed results', () => {
  it('int8 1x1 conv with bias, zero points and requant', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 1, 2, 2], 'int8', { quant: q(0.5, 1) });
    const w = b.tensor('w', [2, 1, 1, 2], 'int8', { quant: { scale: [0.1, 0.1], zeroPoint: [0, 0], axis: 0 }, data: Int8Array.from([1, 2, 3, -1]) });
    const bias = b.tensor('b', [2], 'int32', { data: Int32Array.from([10, -5]) });
    const y = b.tensor('y', [1, 1, 2, 2], 'int8', { quant: q(0.1, -3) });
    b.op({
      kind: 'conv2d',
      name: 'c',
      inputs: [x, w, bias],
      outputs: [y],
      strideH: 1,
      strideW: 1,
      padding: 'valid',
      activation: 'none',
      requant: { multiplier: [1 << 30], shift: [0], actMin: -6, actMax: 127 },
    });
    // pixel 0: x - zp = [2, 4]: oc0 2+8+10 = 20 -> SRDHM(20, 0.5) = 10 -> 7; oc1 6-4-5 = -3 -> -1 -> -4
    // pixel 1: x - zp = [-2, -1]: oc0 -2-2+10 = 6 -> 3 -> 0; oc1 -6+1-5 = -10 -> -5 -> -8 -> clamp -6
    const r = runOnC(b.build('tiny', [x], [y]), Int8Array.from([3, 5, -1, 0]));
    expect([...new Int8Array(r.output.buffer)]).toEqual([7, -4, 0, -6]);
  });

  it('float avg pool 2x2 s2 SAME counts only in-bounds taps', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 3, 3, 1], 'float32');
    const y = b.tensor('y', [1, 2, 2, 1], 'float32');
    b.op({ kind: 'average_pool2d', name: 'p', inputs: [x], outputs: [y], filterH: 2, filterW: 2, strideH: 2, strideW: 2, padding: 'same', activation: 'none' });
    const r = runOnC(b.build('fpool', [x], [y]), Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect([...asFloat32(r.output)]).toEqual([3, 4.5, 7.5, 9]);
  });

  it('int8 avg pool rounds half away from zero', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 2, 2, 1], 'int8', { quant: q(0.1, 0) });
    const y = b.tensor('y', [1, 2, 1, 1], 'int8', { quant: q(0.1, 0) });
    b.op({
      kind: 'average_pool2d',
      name: 'p',
      inputs: [x],
      outputs: [y],
      filterH: 1,
      filterW: 2,
      strideH: 1,
      strideW: 1,
      padding: 'valid',
      activation: 'none',
      requant: { multiplier: [], shift: [], actMin: -128, actMax: 127 },
    });
    const r = runOnC(b.build('qpool', [x], [y]), Int8Array.from([-3, 0, 3, 0]));
    expect([...new Int8Array(r.output.buffer)]).toEqual([-2, 2]);
  });

  it('float fc + softmax', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 2], 'float32');
    const w = b.tensor('w', [2, 2], 'float32', { data: Float32Array.from([1, 0, 0, 1]) });
    const bias = b.tensor('b', [2], 'float32', { data: Float32Array.from([0, Math.log(3)]) });
    const t = b.tensor('t', [1, 2], 'float32');
    const y = b.tensor('y', [1, 2], 'float32');
    b.op({ kind: 'fully_connected', name: 'fc', inputs: [x, w, bias], outputs: [t], activation: 'none' });
    b.op({ kind: 'softmax', name: 'sm', inputs: [t], outputs: [y], beta: 1 });
    const r = runOnC(b.build('fsm', [x], [y]), Float32Array.from([0.5, 0.5]));
    const out = asFloat32(r.output);
    expect(out[0]).toBeCloseTo(0.25, 6);
    expect(out[1]).toBeCloseTo(0.75, 6);
  });
});

describe('generated C matches the reference interpreter layer by layer', () => {
  const cases: [string, () => Graph, (rng: Prng, n: number) => TensorData][] = [
    ['int8', () => int8Graph(), (rng, n) => intData(Int8Array, rng, n, -128, 127)],
    ['uint8', () => uint8Graph(), (rng, n) => intData(Uint8Array, rng, n, 0, 255)],
    ['float32', () => floatGraph(), (rng, n) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1))],
  ];
  it.each(cases)('%s', (label, make, inputOf) => {
    const g = make();
    const xT = g.tensors[g.inputs[0]!]!;
    for (const seed of [1, 2, 3]) {
      const input = inputOf(
        new Prng(seed),
        xT.shape.reduce((p, d) => p * d, 1),
      );
      const ref = runGraph(g, [input]);
      // Seeds alternate between the available compilers so both are checked numerically.
      const r = runOnC(g, input, COMPILERS[seed % COMPILERS.length]!);
      g.ops.forEach((op, i) => {
        const want = ref.values.get(op.outputs[0]!)!;
        const got = r.layers.get(i);
        expect(got, `layer ${i} reported`).toBeDefined();
        if (label === 'float32') {
          const w = want as Float32Array;
          const c = asFloat32(got!);
          const maxRef = Math.max(1, ...[...w].map(Math.abs));
          const maxErr = Math.max(...[...w].map((v, k) => Math.abs(v - c[k]!)));
          expect(maxErr, `layer ${i} (${op.name})`).toBeLessThanOrEqual(1e-4 * maxRef);
        } else {
          expect([...got!], `layer ${i} (${op.name}) seed ${seed}`).toEqual([...bytesOf(want)]);
        }
      });
      if (label !== 'float32') {
        // Not degenerate: the network output is not constant across its classes.
        expect(new Set(r.output).size).toBeGreaterThan(1);
      }
    }
  });
});

describe('fixed-point arithmetic matches the reference on wider ranges', () => {
  it.each([
    ['int8', 0.05, 2],
    ['int8', 0.3, 1],
    ['uint8', 0.1, 0.5],
  ] as const)('%s softmax, input scale %s, beta %s, 300 classes', (dtype, scale, beta) => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [2, 300], dtype, { quant: q(scale, dtype === 'int8' ? 0 : 128) });
    const y = b.tensor('y', [2, 300], dtype, { quant: q(1 / 256, dtype === 'int8' ? -128 : 0) });
    b.op({ kind: 'softmax', name: 'sm', inputs: [x], outputs: [y], beta, softmaxQuant: prepareSoftmax(beta, scale) });
    const g = b.build('qsm', [x], [y]);
    const rng = new Prng(5);
    const input = dtype === 'int8' ? intData(Int8Array, rng, 600, -128, 127) : intData(Uint8Array, rng, 600, 0, 255);
    const r = runOnC(g, input);
    expect([...r.output]).toEqual([...bytesOf(runGraph(g, [input]).outputs[0]!)]);
  });

  it('int8 softmax with 600 ties at the maximum (reciprocal exponent > 31) gives the minimum', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 600], 'int8', { quant: q(0.1, 0) });
    const y = b.tensor('y', [1, 600], 'int8', { quant: q(1 / 256, -128) });
    b.op({ kind: 'softmax', name: 'sm', inputs: [x], outputs: [y], beta: 1, softmaxQuant: prepareSoftmax(1, 0.1) });
    const g = b.build('ties', [x], [y]);
    const input = new Int8Array(600).fill(17);
    const r = runOnC(g, input);
    expect([...new Int8Array(r.output.buffer)]).toEqual(new Array(600).fill(-128));
    expect([...r.output]).toEqual([...bytesOf(runGraph(g, [input]).outputs[0]!)]);
  });

  it('requant with left shifts, large multipliers and full-range clamps', () => {
    const b = new GraphBuilder();
    const rng = new Prng(9);
    const x = b.tensor('x', [1, 3, 3, 32], 'int8', { quant: q(0.02, -7) });
    const w = b.tensor('w', [1, 2, 2, 32], 'int8', {
      quant: { scale: new Array(32).fill(0.01), zeroPoint: new Array(32).fill(0), axis: 3 },
      data: intData(Int8Array, rng, 128, -127, 127),
    });
    const bias = b.tensor('b', [32], 'int32', { data: intData(Int32Array, rng, 32, -100000, 100000) });
    const y = b.tensor('y', [1, 3, 3, 32], 'int8', { quant: q(0.05, 9) });
    const multiplier = Array.from({ length: 32 }, () => rng.int(1 << 30, 2147483647));
    const shift = Array.from({ length: 32 }, (_, i) => (i % 4 === 0 ? 1 : -(i % 13)));
    b.op({
      kind: 'depthwise_conv2d',
      name: 'dw',
      inputs: [x, w, bias],
      outputs: [y],
      strideH: 1,
      strideW: 1,
      padding: 'same',
      activation: 'none',
      depthMultiplier: 1,
      requant: { multiplier, shift, actMin: -128, actMax: 127 },
    });
    const g = b.build('rq', [x], [y]);
    for (const seed of [1, 2]) {
      const input = intData(Int8Array, new Prng(seed), 288, -128, 127);
      const r = runOnC(g, input);
      expect([...r.output]).toEqual([...bytesOf(runGraph(g, [input]).outputs[0]!)]);
    }
  });
});

describe('CMake project', () => {
  it.runIf(spawnSync('cmake', ['--version']).status === 0)('builds the static and verification libraries', () => {
    const p = gen(int8Graph());
    const src = newDir('cmake');
    writeFiles(src, p);
    const build = join(src, 'build');
    const cfg = spawnSync('cmake', ['-S', src, '-B', build, '-DMOBILEC_VERIFY=ON'], { encoding: 'utf8' });
    expect(cfg.status, cfg.stderr).toBe(0);
    const bld = spawnSync('cmake', ['--build', build], { encoding: 'utf8' });
    expect(bld.status, bld.stdout + bld.stderr).toBe(0);
    const libs = readdirSync(build);
    expect(libs).toContain('libqnet.a');
    expect(libs).toContain('libqnet_verify.so');
    const nm = spawnSync('nm', ['-D', '--defined-only', join(build, 'libqnet_verify.so')], { encoding: 'utf8' });
    expect(nm.stdout).toMatch(/ T mobilec_abi\n/);
  });
});

describe('writeProject', () => {
  it('writes atomically and refuses to overwrite without force', () => {
    const p = gen(int8Graph());
    const parent = newDir('write');
    const out = join(parent, 'out');
    writeProject(out, p, { force: false });
    expect(readdirSync(out).sort()).toEqual([...p.files.keys(), OUTPUT_MARKER].sort());
    expect(readFileSync(join(out, 'qnet.h'), 'utf8')).toBe(p.files.get('qnet.h'));
    expect(() => writeProject(out, p, { force: false })).toThrow(/already exists/);
    try {
      writeProject(out, p, { force: false });
    } catch (e) {
      expect((e as MobilecError).exitCode).toBe(2);
    }
    writeFileSync(join(out, 'stale.txt'), 'x');
    writeProject(out, p, { force: true });
    expect(existsSync(join(out, 'stale.txt'))).toBe(false);
    expect(readdirSync(parent)).toEqual(['out']);
  });
});
