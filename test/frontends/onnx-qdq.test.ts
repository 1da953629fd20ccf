/**
 * The ONNX frontend's QDQ form (QuantizeLinear / DequantizeLinear around float ops, as onnxruntime's
 * quantize_static writes it) against ONNX Runtime: a MobileNetV1-like int8 model with per-channel weights
 * (conv stem + Relu, depthwise + Clip(0, 6) whose Q range passes 6, pointwise, a residual Add,
 * GlobalAveragePool, Flatten, Gemm, Softmax), calibrated here on its float twin, imported onto the IR's
 * quantized ops. ORT requantizes in float, mobilec in TFLite's integer arithmetic: the bar is 1 LSB on
 * ≥ 99 % of output elements and the same top-1; the generated C is bit-exact with the reference (verify)
 * and a Cortex-M4 run matches the host's output with no generic layer. Small QDQ graphs (pools, Concat,
 * MatMul + Add, Reshape, uint8) are checked against ORT the same way. Refusals: one line, exit 2.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { importOnnx } from '../../src/frontends/onnx/import.js';
import { MobilecError } from '../../src/model/errors.js';
import type { Graph } from '../../src/model/ir.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { host } from '../../src/targets/host.js';
import { Prng } from '../../src/util/prng.js';
import { mobilec } from '../helpers/cli.js';
import { attr, OnnxBuilder, rangeParams, toNchw, type QParams, type QType } from '../helpers/onnxBuilder.js';
import { damageOnnx, nhwc, ortSession, randomInput, refusal, runSession } from '../helpers/onnxRuntime.js';
import { asFloat32, buildAndRun, bytesOf, removeDir, tempDir, writeFiles } from '../codegen/helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** The model's layers, built as float32 (each quantization point an Identity graph output, for calibration) or as QDQ. */
type Mode = { kind: 'float' } | { kind: 'qdq'; params: ReadonlyMap<string, QParams> };

const IN_SHAPE = [1, 3, 32, 32];

/**
 * MobileNetV1-like: stem conv s2 (PyTorch pads 1: an explicit pad) + Relu, depthwise + Clip(0, 6), pointwise
 * + Clip, a pointwise + Relu added back (residual Add), depthwise s2 + Clip, pointwise + Relu, then
 * `features` (that tensor) or GlobalAveragePool, Flatten, Gemm (per-channel int8), Softmax (`probs`).
 */
function v1(mode: Mode, head: 'probs' | 'features' | 'logits'): { bytes: Uint8Array; points: string[] } {
  const b = new OnnxBuilder(21);
  const wr = new Prng(33);
  const vals = (n: number, lim: number) => Float32Array.from({ length: n }, () => wr.uniform(-lim, lim));
  const points: string[] = [];
  let sIn = 0;
  let layer = 0;
  const point = (x: string, name: string): string => {
    points.push(name);
    if (mode.kind === 'float') {
      b.output(b.node('Identity', [x], {}, [name]));
      return name;
    }
    const p = mode.params.get(name)!;
    sIn = p.scale;
    return b.dequantize(b.quantize(x, p), p);
  };
  const conv = (x: string, cin: number, cout: number, k: number, stride: number, group: number, lim: number): string => {
    const l = layer++;
    const dims = [cout, cin / group, k, k];
    const w = vals(
      dims.reduce((a, c) => a * c, 1),
      lim,
    );
    const bias = vals(cout, 0.3);
    let wn: string;
    let bn: string;
    if (mode.kind === 'float') {
      wn = b.init(`w${l}`, dims, w);
      bn = b.init(`b${l}`, [cout], bias);
    } else {
      const qw = b.qWeights(`w${l}`, dims, w, 0);
      wn = qw.name;
      bn = b.qBias(`b${l}`, bias, sIn, qw.scales);
    }
    const p = (k - 1) / 2;
    const attrs: Record<string, ReturnType<typeof attr.i>> = {
      kernel_shape: attr.ints([k, k]),
      strides: attr.ints([stride, stride]),
      pads: attr.ints([p, p, p, p]),
    };
    if (group !== 1) attrs.group = attr.i(group);
    return b.node('Conv', [x, wn, bn], attrs);
  };
  let x = point(b.input('input', IN_SHAPE), 'in');
  x = point(b.node('Relu', [conv(x, 3, 8, 3, 2, 1, 0.6)]), 'c0');
  x = point(b.relu6(conv(x, 8, 8, 3, 1, 8, 1.5)), 'd1');
  const p1 = point(b.relu6(conv(x, 8, 16, 1, 1, 1, 0.7)), 'p1');
  const r1 = point(b.node('Relu', [conv(p1, 16, 16, 1, 1, 1, 0.4)]), 'r1');
  x = point(b.node('Add', [p1, r1]), 'add');
  x = point(b.relu6(conv(x, 16, 16, 3, 2, 16, 0.8)), 'd2');
  x = conv(x, 16, 32, 1, 1, 1, 0.4);
  if (head === 'features') {
    x = point(b.node('Relu', [x]), 'features');
    if (mode.kind === 'qdq') {
      b.node('Identity', [x], {}, ['out']);
      b.output('out', [1, 32, 8, 8]);
    }
    return { bytes: b.build(13), points };
  }
  x = point(b.node('Relu', [x]), 'p2');
  x = point(b.node('GlobalAveragePool', [x]), 'gap');
  x = b.node('Flatten', [x], { axis: attr.i(1) });
  if (mode.kind === 'qdq') x = b.dequantize(b.quantize(x, mode.params.get('gap')!), mode.params.get('gap')!);
  const fw = vals(10 * 32, 0.8);
  const fb = vals(10, 0.2);
  let wn: string;
  let bn: string;
  if (mode.kind === 'float') {
    wn = b.init('fc_w', [10, 32], fw);
    bn = b.init('fc_b', [10], fb);
  } else {
    const qw = b.qWeights('fc_w', [10, 32], fw, 0);
    wn = qw.name;
    bn = b.qBias('fc_b', fb, sIn, qw.scales);
  }
  x = point(b.node('Gemm', [x, wn, bn], { transB: attr.i(1) }), 'fc');
  if (head === 'logits') {
    b.node('Identity', [x], {}, ['logits']);
    b.output('logits', [1, 10]);
    return { bytes: b.build(13), points };
  }
  x = b.node('Softmax', [x], { axis: attr.i(1) });
  if (mode.kind === 'qdq') {
    const u8 = mode.params.get('in')!.type === 'uint8';
    const sm: QParams = { scale: 1 / 256, zp: u8 ? 0 : -128, type: u8 ? 'uint8' : 'int8' };
    x = b.dequantize(b.quantize(x, sm), sm);
  }
  b.node('Identity', [x], {}, ['probs']);
  b.output('probs', [1, 10]);
  return { bytes: b.build(13), points };
}

/** Calibrates the float twin in ORT over a few inputs: each point's [min, max] → asymmetric parameters. */
async function calibrate(type: QType): Promise<Map<string, QParams>> {
  const { bytes, points } = v1({ kind: 'float' }, 'probs');
  const s = await ortSession(bytes);
  const lo = new Map<string, number>();
  const hi = new Map<string, number>();
  for (let k = 0; k < 6; k++) {
    const out = await runSession(s, randomInput(IN_SHAPE, 100 + k), IN_SHAPE);
    for (const p of points) {
      const d = out[p]!.data as Float32Array;
      lo.set(p, Math.min(lo.get(p) ?? 0, ...d));
      hi.set(p, Math.max(hi.get(p) ?? 0, ...d));
    }
  }
  const params = new Map<string, QParams>();
  for (const p of points) params.set(p, rangeParams(lo.get(p)!, hi.get(p)!, type));
  // The depthwise + Clip(0, 6) layer's range passes 6: its relu6 bound is a clamp inside the int8 range.
  params.set('d1', rangeParams(0, 8, type));
  params.set('in', rangeParams(-1, 1, type));
  params.set('features', params.get('p2')!);
  return params;
}

interface Agreement {
  elements: number;
  within1: number;
  exact: number;
  maxLsb: number;
  top1Same: number;
  runs: number;
}

/** ORT's output vs mobilec's reference on `n` inputs, in LSBs of the output's scale. */
async function agreement(bytes: Uint8Array, graph: Graph, outScale: number, n: number, top1: boolean): Promise<Agreement> {
  const s = await ortSession(bytes);
  const a: Agreement = { elements: 0, within1: 0, exact: 0, maxLsb: 0, top1Same: 0, runs: n };
  for (let k = 0; k < n; k++) {
    const input = randomInput(IN_SHAPE, 500 + k);
    const o = (await runSession(s, input, IN_SHAPE))[s.outputNames[0]!]!;
    const want = o.data as Float32Array;
    let got = runGraph(graph, [nhwc(input, IN_SHAPE)]).outputs[0] as Float32Array;
    if (o.dims.length === 4) got = toNchw(got, o.dims);
    for (let i = 0; i < want.length; i++) {
      const lsb = Math.round(Math.abs(want[i]! - got[i]!) / outScale);
      a.elements++;
      if (lsb <= 1) a.within1++;
      if (lsb === 0) a.exact++;
      a.maxLsb = Math.max(a.maxLsb, lsb);
    }
    if (top1) {
      const arg = (d: Float32Array) => d.indexOf(Math.max(...d));
      if (arg(want) === arg(got)) a.top1Same++;
    }
  }
  return a;
}

describe('ONNX QDQ MobileNetV1-like (int8, per-channel weights) against ONNX Runtime', () => {
  let params: Map<string, QParams>;
  const model = (head: 'probs' | 'features' | 'logits') => v1({ kind: 'qdq', params }, head).bytes;

  it('imports onto the quantized IR ops: a float input quantized once, int8 layers with fused activations, a dequantized output', async () => {
    params = await calibrate('int8');
    const g = prepareGraph(importOnnx(model('probs'), 'qdq_v1.onnx'));
    const kinds = g.ops.map((op) => op.kind);
    expect(kinds).toEqual([
      'quantize',
      'pad',
      'conv2d',
      'depthwise_conv2d',
      'conv2d',
      'conv2d',
      'add',
      'pad',
      'depthwise_conv2d',
      'conv2d',
      'mean',
      'reshape',
      'fully_connected',
      'softmax',
      'dequantize',
    ]);
    expect(g.tensors[g.inputs[0]!]!.dtype).toBe('float32');
    expect(g.tensors[g.outputs[0]!]!.dtype).toBe('float32');
    const acts = g.ops.map((op) => ('activation' in op ? op.activation : '-'));
    expect(acts).toEqual(['-', '-', 'relu', 'relu6', 'relu6', 'relu', 'none', '-', 'relu6', 'relu', '-', '-', 'none', '-', '-']);
    for (const op of g.ops.slice(1, -1)) expect(g.tensors[op.outputs[0]!]!.dtype).toBe('int8');
    // Per-channel weights: one scale per output channel (depthwise along its last axis).
    const dw = g.ops[3]!;
    expect(g.tensors[dw.inputs[1]!]!.quant!.scale).toHaveLength(8);
    expect(g.tensors[dw.inputs[1]!]!.quant!.axis).toBe(3);
    expect(g.tensors[g.ops[12]!.inputs[1]!]!.quant!.scale).toHaveLength(10);
    // The relu6 bound lies inside int8 (range [0, 8]): the clamp is q(6), not 127.
    const d1 = params.get('d1')!;
    expect(dw.requant!.actMax).toBe(d1.zp + Math.round(6 / d1.scale));
    expect(dw.requant!.actMax).toBeLessThan(127);
  });

  it('logits (Gemm, int8): within 1 LSB of ORT on >= 99 % of elements, the same top-1', async () => {
    const bytes = model('logits');
    const g = prepareGraph(importOnnx(bytes, 'qdq_v1l.onnx'));
    const a = await agreement(bytes, g, params.get('fc')!.scale, 200, true);
    console.log(`QDQ v1 logits vs ORT: ${a.within1}/${a.elements} within 1 LSB (${a.exact} exact), max ${a.maxLsb} LSB, top-1 ${a.top1Same}/${a.runs}`);
    expect(a.within1 / a.elements).toBeGreaterThanOrEqual(0.99);
    expect(a.top1Same).toBe(a.runs);
    // Neither trivially equal nor far: most logits agree exactly.
    expect(a.exact / a.elements).toBeGreaterThan(0.8);
  });

  it('softmax output (1/256): the same top-1, within 3 LSB, 1 LSB on >= 98.5 %; within 1 LSB wherever the logits agree', async () => {
    // A 1-LSB logit difference (scale ~0.031) changes p by up to p(1 − p) · 0.031 <= 0.0077, 2 LSB of 1/256 (a few
    // logits off at once: 3); where ORT's logits equal the reference's, the softmax (TFLite's fixed point vs ORT's
    // float) agrees within 1 LSB.
    const bytes = model('probs');
    const g = prepareGraph(importOnnx(bytes, 'qdq_v1.onnx'));
    const a = await agreement(bytes, g, 1 / 256, 200, true);
    console.log(`QDQ v1 probs vs ORT: ${a.within1}/${a.elements} within 1 LSB (${a.exact} exact), max ${a.maxLsb} LSB, top-1 ${a.top1Same}/${a.runs}`);
    expect(a.within1 / a.elements).toBeGreaterThanOrEqual(0.985);
    expect(a.top1Same).toBe(a.runs);
    expect(a.maxLsb).toBeLessThanOrEqual(3);
    const lb = model('logits');
    const gl = prepareGraph(importOnnx(lb, 'qdq_v1l.onnx'));
    const [sl, sp] = [await ortSession(lb), await ortSession(bytes)];
    let agreeing = 0;
    for (let k = 0; k < 60; k++) {
      const input = randomInput(IN_SHAPE, 500 + k);
      const ol = (await runSession(sl, input, IN_SHAPE)).logits!.data as Float32Array;
      const rl = runGraph(gl, [nhwc(input, IN_SHAPE)]).outputs[0] as Float32Array;
      if (!ol.every((v, i) => v === rl[i])) continue;
      agreeing++;
      const op = (await runSession(sp, input, IN_SHAPE)).probs!.data as Float32Array;
      const rp = runGraph(g, [nhwc(input, IN_SHAPE)]).outputs[0] as Float32Array;
      for (let i = 0; i < op.length; i++) expect(Math.abs(op[i]! - rp[i]!) * 256).toBeLessThanOrEqual(1);
    }
    expect(agreeing).toBeGreaterThan(10);
  });

  it('feature map (2,048 int8 values): within 1 LSB on >= 99 % of elements', async () => {
    const bytes = model('features');
    const g = prepareGraph(importOnnx(bytes, 'qdq_v1f.onnx'));
    const a = await agreement(bytes, g, params.get('features')!.scale, 10, false);
    console.log(`QDQ v1 features vs ORT: ${a.within1}/${a.elements} within 1 LSB (${a.exact} exact), max ${a.maxLsb} LSB`);
    expect(a.within1 / a.elements).toBeGreaterThanOrEqual(0.99);
    // Not trivially equal: the features vary over many LSBs.
    expect(a.elements).toBe(10 * 2048);
  });

  it('the generated C on the host is bit-exact with the reference and agrees with ORT', async () => {
    const bytes = model('probs');
    const g = prepareGraph(importOnnx(bytes, 'qdq_v1.onnx'));
    const input = randomInput(IN_SHAPE, 900);
    const p = generateProject(g, { target: host, kernels: 'simd' });
    const dir = tempDir('onnx_qdq_v1');
    dirs.push(dir);
    writeFiles(dir, p);
    // The C's input() and output() are in the model's layout (NCHW); the reference runs the IR's NHWC.
    const c = asFloat32(buildAndRun(dir, p, bytesOf(input)).output);
    const ref = runGraph(g, [nhwc(input, IN_SHAPE)]).outputs[0] as Float32Array;
    expect([...c]).toEqual([...ref]);
    const want = (await runSession(await ortSession(bytes), input, IN_SHAPE)).probs!.data as Float32Array;
    for (let i = 0; i < want.length; i++) expect(Math.abs(want[i]! - c[i]!) * 256).toBeLessThanOrEqual(2);
  });

  it('verify (layer by layer, bit-exact), and a Cortex-M4 run equal to the host run with no generic conv / depthwise / FC layer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mobilec-qdq-'));
    dirs.push(dir);
    const path = join(dir, 'qdq_v1.onnx');
    writeFileSync(path, model('probs'));
    const v = mobilec(['verify', path, '--quiet']);
    expect(v.code, v.stderr).toBe(0);
    const hostRun = mobilec(['run', path, '--seed', '1', '--json']);
    expect(hostRun.code, hostRun.stderr).toBe(0);
    const m4 = mobilec(['run', path, '--target', 'cortex-m4', '--seed', '1', '--json', '--quiet']);
    expect(m4.code, m4.stderr).toBe(0);
    const out = (r: { stdout: string }) => (JSON.parse(r.stdout) as { output: number[] }).output;
    expect(out(m4)).toEqual(out(hostRun));
    const ins = mobilec(['inspect', path, '--target', 'cortex-m4', '--json']);
    expect(ins.code, ins.stderr).toBe(0);
    const layers = (JSON.parse(ins.stdout) as { layers: { op: string; generic: boolean; variant: string }[] }).layers;
    const weighted = layers.filter((l) => ['conv2d', 'depthwise_conv2d', 'fully_connected', 'add', 'mean'].includes(l.op));
    expect(weighted).toHaveLength(9);
    for (const l of weighted) expect(l.generic, `${l.op} ${l.variant}`).toBe(false);
  });
});

const S = [1, 4, 9, 9];
const P_IN: QParams = { scale: 2 / 255, zp: 0, type: 'int8' };

/**
 * A one-input QDQ graph: the float input quantized (P_IN), `f` adds nodes reading its float view and returns
 * the result (a DequantizeLinear's output), its NCHW shape and its parameters.
 */
function qdqModel(f: (b: OnnxBuilder, x: string) => [string, number[], QParams], input: QParams = P_IN, shape = S): { bytes: Uint8Array; out: QParams } {
  const b = new OnnxBuilder(9);
  const x = b.dequantize(b.quantize(b.input('x', shape), input), input);
  const [y, s, out] = f(b, x);
  b.node('Identity', [y], {}, ['y']);
  b.output('y', s);
  return { bytes: b.build(13), out };
}

/** A QDQ conv (per-channel int8 weights, int32 bias) with its output quantized to `p`. */
let qConvs = 0;
function qConv(b: OnnxBuilder, x: string, sIn: number, cin: number, cout: number, p: QParams, act?: 'Relu'): string {
  const w = b.qWeights(`cw${++qConvs}`, [cout, cin, 1, 1], b.values(cout * cin, -0.8, 0.8), 0);
  const bias = b.qBias(`cb${qConvs}`, b.values(cout, -0.2, 0.2), sIn, w.scales);
  let y = b.node('Conv', [x, w.name, bias], { kernel_shape: attr.ints([1, 1]) });
  if (act) y = b.node(act, [y]);
  return b.dequantize(b.quantize(y, p), p);
}

describe("ONNX QDQ MobileNetV1-like with uint8 activations (onnxruntime's U8S8) against ONNX Runtime", () => {
  it('runs as int8; logits within 1 LSB on >= 99 %, the same top-1', async () => {
    const params = await calibrate('uint8');
    const bytes = v1({ kind: 'qdq', params }, 'logits').bytes;
    const g = prepareGraph(importOnnx(bytes, 'qdq_v1_u8.onnx'));
    for (const op of g.ops.slice(1, -1)) expect(g.tensors[op.outputs[0]!]!.dtype).toBe('int8');
    const a = await agreement(bytes, g, params.get('fc')!.scale, 40, true);
    console.log(`QDQ v1 U8S8 logits vs ORT: ${a.within1}/${a.elements} within 1 LSB (${a.exact} exact), max ${a.maxLsb} LSB, top-1 ${a.top1Same}/${a.runs}`);
    expect(a.within1 / a.elements).toBeGreaterThanOrEqual(0.99);
    expect(a.top1Same).toBe(a.runs);
    const probs = v1({ kind: 'qdq', params }, 'probs').bytes;
    const p = await agreement(probs, prepareGraph(importOnnx(probs, 'qdq_v1_u8p.onnx')), 1 / 256, 40, true);
    console.log(`QDQ v1 U8S8 probs vs ORT: ${p.within1}/${p.elements} within 1 LSB (${p.exact} exact), max ${p.maxLsb} LSB, top-1 ${p.top1Same}/${p.runs}`);
    expect(p.top1Same).toBe(p.runs);
    expect(p.maxLsb).toBeLessThanOrEqual(2);
  });
});

describe('ONNX QDQ ops against ONNX Runtime (reference and C)', () => {
  const P8: QParams = { scale: 0.02, zp: -10, type: 'int8' };
  const cases: [string, { bytes: Uint8Array; out: QParams }, string[], number][] = [
    [
      'MaxPool k3 s2 (same parameters: exact)',
      qdqModel((b, x) => [
        b.dequantize(b.quantize(b.node('MaxPool', [x], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) }), P_IN), P_IN),
        [1, 4, 4, 4],
        P_IN,
      ]),
      ['quantize', 'max_pool2d', 'dequantize'],
      0,
    ],
    [
      'AveragePool k3 SAME_UPPER requantized to other parameters',
      qdqModel((b, x) => [
        b.dequantize(b.quantize(b.node('AveragePool', [x], { kernel_shape: attr.ints([3, 3]), auto_pad: attr.s('SAME_UPPER') }), P8), P8),
        S,
        P8,
      ]),
      ['quantize', 'average_pool2d', 'quantize', 'dequantize'],
      1,
    ],
    [
      'Concat of two convs with their own parameters',
      qdqModel((b, x) => {
        const pa: QParams = { scale: 0.03, zp: 5, type: 'int8' };
        const pb: QParams = { scale: 0.012, zp: -128, type: 'int8' };
        const a = qConv(b, x, P_IN.scale, 4, 3, pa);
        const c = qConv(b, x, P_IN.scale, 4, 5, pb, 'Relu');
        return [b.dequantize(b.quantize(b.node('Concat', [a, c], { axis: attr.i(1) }), P8), P8), [1, 8, 9, 9], P8];
      }),
      ['quantize', 'conv2d', 'conv2d', 'concatenation', 'dequantize'],
      1,
    ],
    [
      'GlobalAveragePool, Relu on its own, Flatten, MatMul + Add (per-tensor weights, int32 bias)',
      qdqModel((b, x) => {
        const pg: QParams = { scale: 0.004, zp: 3, type: 'int8' };
        let y = b.dequantize(b.quantize(b.node('GlobalAveragePool', [x]), pg), pg);
        const pr: QParams = { scale: 0.003, zp: -128, type: 'int8' };
        y = b.dequantize(b.quantize(b.node('Relu', [y]), pr), pr);
        y = b.dequantize(b.quantize(b.node('Flatten', [y], { axis: attr.i(1) }), pr), pr);
        const w = b.qWeights('mw', [4, 6], b.values(24, -1, 1), undefined);
        const m = b.node('MatMul', [y, w.name]);
        const bias = b.qBias('mb', b.values(6, -0.3, 0.3), pr.scale, w.scales);
        const po: QParams = { scale: 0.006, zp: 0, type: 'int8' };
        return [b.dequantize(b.quantize(b.node('Add', [m, bias]), po), po), [1, 6], po];
      }),
      ['quantize', 'mean', 'activation', 'reshape', 'fully_connected', 'dequantize'],
      1,
    ],
    [
      'Add of two computed tensors with a fused Relu, a global MaxPool, then Reshape to other parameters',
      qdqModel((b, x) => {
        const pa: QParams = { scale: 0.03, zp: 5, type: 'int8' };
        const a = qConv(b, x, P_IN.scale, 4, 4, pa);
        const pAdd: QParams = { scale: 0.025, zp: -128, type: 'int8' };
        const s = b.dequantize(b.quantize(b.node('Relu', [b.node('Add', [a, x])]), pAdd), pAdd);
        const m = b.dequantize(b.quantize(b.node('MaxPool', [s], { kernel_shape: attr.ints([9, 9]) }), pAdd), pAdd);
        const r = b.node('Reshape', [m, b.int64('shape', [2], [1, 4])]);
        return [b.dequantize(b.quantize(r, P8), P8), [1, 4], P8];
      }),
      ['quantize', 'conv2d', 'add', 'max_pool2d', 'reshape', 'quantize', 'dequantize'],
      1,
    ],
    [
      'Mul of two computed tensors, then a zero Pad (same parameters)',
      qdqModel((b, x) => {
        const pa: QParams = { scale: 0.03, zp: 5, type: 'int8' };
        const a = qConv(b, x, P_IN.scale, 4, 4, pa);
        const pm: QParams = { scale: 0.02, zp: -20, type: 'int8' };
        const m = b.dequantize(b.quantize(b.node('Mul', [a, x]), pm), pm);
        const pad = b.node('Pad', [m, b.int64('pads', [8], [0, 0, 1, 2, 0, 0, 2, 1])], { mode: attr.s('constant') });
        return [b.dequantize(b.quantize(pad, pm), pm), [1, 4, 12, 12], pm];
      }),
      ['quantize', 'conv2d', 'mul', 'pad', 'dequantize'],
      1,
    ],
    [
      'uint8 activations and per-tensor uint8 weights (zero point 131)',
      qdqModel(
        (b, x) => {
          const wf = b.values(4 * 4 * 9, -0.5, 0.5);
          const ws = 1 / 255;
          const wq = Array.from(wf, (v) => Math.max(0, Math.min(255, Math.round(v / ws) + 131)));
          const w = b.node('DequantizeLinear', [b.ints('uw', [4, 4, 3, 3], wq, 'uint8'), b.init('uw_s', [], [ws]), b.ints('uw_z', [], [131], 'uint8')]);
          const bs = Math.fround((2 / 255) * ws);
          const bias = b.node('DequantizeLinear', [
            b.ints('ub', [4], [100, -2000, 0, 3000], 'int32'),
            b.init('ub_s', [], [bs]),
            b.ints('ub_z', [], [0], 'int32'),
          ]);
          const pu: QParams = { scale: 0.015, zp: 30, type: 'uint8' };
          const y = b.node('Conv', [x, w, bias], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) });
          return [b.dequantize(b.quantize(b.relu6(y), pu), pu), S, pu];
        },
        { scale: 2 / 255, zp: 128, type: 'uint8' },
      ),
      ['quantize', 'conv2d', 'dequantize'],
      1,
    ],
    [
      "uint8 activations with int8 per-channel weights (onnxruntime's U8S8) run as int8 (zero points − 128)",
      qdqModel(
        (b, x) => {
          const pu: QParams = { scale: 0.02, zp: 40, type: 'uint8' };
          const y = qConv(b, x, 2 / 255, 4, 6, pu, 'Relu');
          const pp = b.dequantize(b.quantize(b.node('AveragePool', [y], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) }), pu), pu);
          const ps: QParams = { scale: 1 / 256, zp: 0, type: 'uint8' };
          return [b.dequantize(b.quantize(b.node('Softmax', [pp], { axis: attr.i(1) }), ps), ps), [1, 6, 4, 4], ps];
        },
        { scale: 2 / 255, zp: 128, type: 'uint8' },
      ),
      ['quantize', 'conv2d', 'average_pool2d', 'softmax', 'dequantize'],
      1,
    ],
    [
      'an op without a quantized form here (Sigmoid) runs in float32 between a dequantize and a quantize',
      qdqModel((b, x) => {
        const ps: QParams = { scale: 1 / 256, zp: -128, type: 'int8' };
        return [b.dequantize(b.quantize(b.node('Sigmoid', [x]), ps), ps), S, ps];
      }),
      ['quantize', 'dequantize', 'logistic', 'quantize', 'dequantize'],
      1,
    ],
  ];
  for (const [name, { bytes, out }, kinds, lsb] of cases) {
    it(name, async () => {
      const g = prepareGraph(importOnnx(bytes, 'op.onnx'));
      expect(g.ops.map((o) => o.kind)).toEqual(kinds);
      // uint8 activations stay uint8 only beside uint8 weights.
      expect(g.tensors[g.ops[0]!.outputs[0]!]!.dtype).toBe(name.startsWith('uint8 activations and per-tensor uint8') ? 'uint8' : 'int8');
      const s = await ortSession(bytes);
      let max = 0;
      let within = 0;
      let n = 0;
      for (let k = 0; k < 5; k++) {
        const input = randomInput(S, 40 + k);
        const o = (await runSession(s, input, S)).y!;
        const want = o.data as Float32Array;
        let got = runGraph(g, [nhwc(input, S)]).outputs[0] as Float32Array;
        if (o.dims.length === 4) got = toNchw(got, o.dims);
        for (let i = 0; i < want.length; i++) {
          const d = Math.round(Math.abs(want[i]! - got[i]!) / out.scale);
          max = Math.max(max, d);
          if (d <= 1) within++;
          n++;
        }
        if (k === 0) {
          // Values that barely vary would hide a wrong layout.
          expect(new Set(want).size).toBeGreaterThan(Math.min(10, want.length / 2));
          const p = generateProject(g, { target: host, kernels: 'simd' });
          const dir = tempDir('onnx_qdq_op');
          dirs.push(dir);
          writeFiles(dir, p);
          const c = asFloat32(buildAndRun(dir, p, bytesOf(input)).output);
          let ref = runGraph(g, [nhwc(input, S)]).outputs[0] as Float32Array;
          if (o.dims.length === 4) ref = toNchw(ref, o.dims);
          expect([...c]).toEqual([...ref]);
        }
      }
      expect(max).toBeLessThanOrEqual(lsb);
      expect(within / n).toBeGreaterThanOrEqual(0.99);
    });
  }
});

describe('ONNX QDQ refusals (one line, exit 2, naming the node)', () => {
  const refuse = (bytes: Uint8Array): string => refusal(() => prepareGraph(importOnnx(bytes, 'bad.onnx')));
  const model = (f: (b: OnnxBuilder, x: string) => string, shape = S): Uint8Array => {
    const b = new OnnxBuilder(3);
    const y = f(b, b.input('x', shape));
    b.node('Identity', [y], {}, ['y']);
    b.output('y');
    return b.build(13);
  };

  it('a scale that is not a constant', () => {
    const bytes = model((b, x) => b.node('QuantizeLinear', [x, b.node('Identity', [x]), b.ints('z', [], [0], 'int8')], {}, 1, 'q_dyn'));
    expect(refuse(bytes)).toBe("bad.onnx: node 1 'q_dyn' (QuantizeLinear): the scale (input 1) must be a FLOAT constant");
  });

  it('zero points out of range: an int32 bias zero point, int8 weights not symmetric', () => {
    const bias = model((b, x) => {
      const xq = b.qdq(x, P_IN);
      const w = b.qWeights('w', [4, 4, 1, 1], b.values(16), 0);
      const bq = b.node(
        'DequantizeLinear',
        [b.ints('bq', [4], [1, 2, 3, 4], 'int32'), b.init('bs', [], [0.001]), b.ints('bz', [], [5], 'int32')],
        {},
        1,
        'dq_bias',
      );
      return b.qdq(b.node('Conv', [xq, w.name, bq], { kernel_shape: attr.ints([1, 1]) }), P_IN);
    });
    expect(refuse(bias)).toBe("bad.onnx: node 3 'dq_bias' (DequantizeLinear): zero point 5 is outside [0, 0] for int32 (an INT32 zero point must be 0)");
    const weights = model((b, x) => {
      const xq = b.qdq(x, P_IN);
      const w = b.node('DequantizeLinear', [
        b.ints('wq', [4, 4, 1, 1], new Array<number>(16).fill(9), 'int8'),
        b.init('ws', [], [0.01]),
        b.ints('wz', [], [3], 'int8'),
      ]);
      return b.qdq(b.node('Conv', [xq, w], { kernel_shape: attr.ints([1, 1]) }, 1, 'conv_wzp'), P_IN);
    });
    expect(refuse(weights)).toBe("bad.onnx: node 3 'conv_wzp' (Conv): int8 weights with zero point 3 are not supported; supported: 0 (symmetric int8 weights)");
  });

  it('unsupported QDQ patterns: a per-channel activation, a DequantizeLinear of a float tensor or with other parameters, an int8 tensor read directly', () => {
    const perChannel = model((b, x) =>
      b.node('QuantizeLinear', [x, b.init('s4', [4], [0.1, 0.1, 0.1, 0.1]), b.ints('z4', [4], [0, 0, 0, 0], 'int8')], { axis: attr.i(1) }, 1, 'q_axis'),
    );
    expect(refuse(perChannel)).toBe(
      "bad.onnx: node 0 'q_axis' (QuantizeLinear): the scale has shape [4]; supported: a scalar (per tensor) for a computed tensor",
    );
    const dqFloat = model((b, x) => b.dequantize(b.node('Relu', [x]), P_IN, 'dq_float'));
    expect(refuse(dqFloat)).toBe(
      "bad.onnx: node 1 'dq_float' (DequantizeLinear): input 0 ('relu_0') is not a QuantizeLinear's output; supported: QuantizeLinear → DequantizeLinear",
    );
    const other = model((b, x) => b.dequantize(b.quantize(x, P_IN), { ...P_IN, zp: 1 }, 'dq_other'));
    expect(refuse(other)).toMatch(
      /^bad\.onnx: node 1 'dq_other' \(DequantizeLinear\): scale 0\.00784\d* and zero point 1 \(int8\) differ from its QuantizeLinear's .*; supported: the same$/,
    );
    const direct = model((b, x) => b.node('MaxPool', [b.quantize(x, P_IN)], { kernel_shape: attr.ints([2, 2]) }, 1, 'pool_int8'));
    expect(refuse(direct)).toBe(
      "bad.onnx: node 1 'pool_int8' (MaxPool): input 0 ('quantizelinear_0') is a QuantizeLinear's integer output; supported: read through DequantizeLinear",
    );
  });

  it('the CLI exits 2 with one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mobilec-qdq-'));
    dirs.push(dir);
    const path = join(dir, 'bad.onnx');
    writeFileSync(
      path,
      model((b, x) => b.dequantize(b.node('Relu', [x]), P_IN, 'dq_float')),
    );
    const r = mobilec(['compile', path, '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("node 1 'dq_float' (DequantizeLinear): input 0 ('relu_0') is not a QuantizeLinear's output");
  });
});

describe('ONNX QLinearConv and QLinearMatMul against ONNX Runtime', () => {
  /** A QLinearConv: int8 weights (per channel along O when `perChannel`), an int32 bias at x_scale × w_scale. */
  const qlinearConv = (b: OnnxBuilder, x: string, xp: QParams, yp: QParams, cin: number, cout: number, group: number, stride: number, perChannel: boolean) => {
    const k = b.rng.int(0, 1_000_000);
    const dims = [cout, cin / group, 3, 3];
    const w = b.values(
      dims.reduce((a, c) => a * c, 1),
      -0.6,
      0.6,
    );
    const per = cout;
    const inner = w.length / per;
    const scales = Array.from({ length: perChannel ? per : 1 }, (_, c) => {
      let m = 0;
      for (let i = 0; i < w.length; i++) if (!perChannel || Math.floor(i / inner) === c) m = Math.max(m, Math.abs(w[i]!));
      return Math.fround(m / 127);
    });
    const wq = Array.from(w, (v, i) => Math.round(v / scales[perChannel ? Math.floor(i / inner) : 0]!));
    const bias = Array.from({ length: cout }, () => b.rng.int(-3000, 3000));
    const sDims = perChannel ? [per] : [];
    return b.node(
      'QLinearConv',
      [
        x,
        b.init(`xs${k}`, [], [xp.scale]),
        b.ints(`xz${k}`, [], [xp.zp], xp.type),
        b.ints(`w${k}`, dims, wq, 'int8'),
        b.init(`ws${k}`, sDims, scales),
        b.ints(`wz${k}`, sDims, new Array<number>(scales.length).fill(0), 'int8'),
        b.init(`ys${k}`, [], [yp.scale]),
        b.ints(`yz${k}`, [], [yp.zp], yp.type),
        b.ints(`b${k}`, [cout], bias, 'int32'),
      ],
      { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([stride, stride]), group: attr.i(group) },
    );
  };

  const compare = async (bytes: Uint8Array, shape: number[], out: QParams, kinds: string[]) => {
    const g = prepareGraph(importOnnx(bytes, 'qlinear.onnx'));
    expect(g.ops.map((o) => o.kind)).toEqual(kinds);
    const s = await ortSession(bytes);
    let max = 0;
    let exact = 0;
    let n = 0;
    for (let k = 0; k < 5; k++) {
      const input = randomInput(shape, 70 + k);
      const o = (await runSession(s, input, shape)).y!;
      const want = o.data as Float32Array;
      let got = runGraph(g, [nhwc(input, shape)]).outputs[0] as Float32Array;
      if (o.dims.length === 4) got = toNchw(got, o.dims);
      for (let i = 0; i < want.length; i++) {
        const d = Math.round(Math.abs(want[i]! - got[i]!) / out.scale);
        max = Math.max(max, d);
        if (d === 0) exact++;
        n++;
      }
      if (k === 0) {
        expect(new Set(want).size).toBeGreaterThan(Math.min(10, want.length / 2));
        const p = generateProject(g, { target: host, kernels: 'simd' });
        const dir = tempDir('onnx_qlinear');
        dirs.push(dir);
        writeFiles(dir, p);
        const c = asFloat32(buildAndRun(dir, p, bytesOf(input)).output);
        let ref = runGraph(g, [nhwc(input, shape)]).outputs[0] as Float32Array;
        if (o.dims.length === 4) ref = toNchw(ref, o.dims);
        expect([...c]).toEqual([...ref]);
      }
    }
    expect(max).toBeLessThanOrEqual(1);
    expect(exact / n).toBeGreaterThan(0.9);
  };

  it('QLinearConv (per-channel), then a depthwise QLinearConv s2 (per-tensor): within 1 LSB, C bit-exact', async () => {
    const b = new OnnxBuilder(17);
    const p1: QParams = { scale: 0.05, zp: -3, type: 'int8' };
    const p2: QParams = { scale: 0.04, zp: 7, type: 'int8' };
    let x = b.quantize(b.input('x', S), P_IN);
    x = qlinearConv(b, x, P_IN, p1, 4, 6, 1, 1, true);
    x = qlinearConv(b, x, p1, p2, 6, 6, 6, 2, false);
    b.dequantize(x, p2, 'y');
    b.output('y', [1, 6, 5, 5]);
    await compare(b.build(13), S, p2, ['quantize', 'conv2d', 'depthwise_conv2d', 'dequantize']);
  });

  it('QLinearMatMul (int8, per-tensor): within 1 LSB, C bit-exact', async () => {
    const b = new OnnxBuilder(18);
    const shape = [1, 16];
    const xp: QParams = { scale: 2 / 255, zp: 0, type: 'int8' };
    const yp: QParams = { scale: 0.03, zp: 2, type: 'int8' };
    const x = b.quantize(b.input('x', shape), xp);
    const wq = Array.from({ length: 16 * 8 }, () => b.rng.int(-127, 127));
    const y = b.node('QLinearMatMul', [
      x,
      b.init('as', [], [xp.scale]),
      b.ints('az', [], [xp.zp], 'int8'),
      b.ints('bw', [16, 8], wq, 'int8'),
      b.init('bs', [], [0.004]),
      b.ints('bz', [], [0], 'int8'),
      b.init('ys', [], [yp.scale]),
      b.ints('yz', [], [yp.zp], 'int8'),
    ]);
    b.dequantize(y, yp, 'y');
    b.output('y', [1, 8]);
    await compare(b.build(13), shape, yp, ['quantize', 'fully_connected', 'dequantize']);
  });
});

describe('damaged QDQ ONNX files', () => {
  it('import either succeeds or refuses with one line (exit 2): truncations, bit flips, overwritten words and bytes', async () => {
    const params = await calibrate('int8');
    const seeds = [v1({ kind: 'qdq', params }, 'probs').bytes, v1({ kind: 'qdq', params: await calibrate('uint8') }, 'features').bytes];
    const rng = new Prng(23);
    const outcomes = { ok: 0, refused: 0 };
    const cases = Number(process.env.QDQ_DAMAGE_CASES ?? 400);
    for (let k = 0; k < cases; k++) {
      const bytes = damageOnnx(seeds[k % 2]!, k, rng, (b) => {
        for (let j = 0; j < 3; j++) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
      });
      try {
        const g = prepareGraph(
          importOnnx(bytes, 'm.onnx', { maxTensorBytes: 1 << 20, maxWeightBytes: 4 << 20, maxActivationBytes: 8 << 20, maxOps: 1000, maxFileBytes: 8 << 20 }),
        );
        runGraph(g, [randomInput(g.tensors[g.inputs[0]!]!.shape, 1)]);
        outcomes.ok++;
      } catch (e) {
        if (!(e instanceof MobilecError) || e.exitCode !== 2) throw new Error(`case ${k} (form ${k % 4}): ${e instanceof Error ? e.stack : String(e)}`);
        expect(e.message).not.toContain('\n');
        outcomes.refused++;
      }
    }
    console.log(`damaged QDQ ONNX files: ${outcomes.ok} imported, ${outcomes.refused} refused`);
    expect(outcomes.refused).toBeGreaterThan(cases / 8);
    expect(outcomes.ok).toBeGreaterThan(cases / 40);
  });
});
