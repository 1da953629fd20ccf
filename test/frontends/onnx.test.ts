/**
 * The ONNX frontend (src/frontends/onnx) against ONNX Runtime: hand-built
 * MobileNetV1- and V2-like float32 models (unfused BatchNormalization, Clip,
 * depthwise, residual Add, PyTorch's flatten chain) and small per-op graphs
 * run in onnxruntime-node, in mobilec's reference interpreter and (the
 * MobileNets and a few op graphs) as generated C on the host; the reference's
 * inputs and outputs transposed NCHW ↔ NHWC here (the C takes and returns NCHW). Float32 within 1e-4 relative
 * (max |a − b| / max(1, max |b|)). Refusals: one line, exit 2, naming the node;
 * damaged files import or refuse cleanly (400 mutations; 6,000 ran clean once).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import AjvModule from 'ajv';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { importOnnx } from '../../src/frontends/onnx/import.js';
import { MobilecError } from '../../src/model/errors.js';
import type { Graph } from '../../src/model/ir.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { host } from '../../src/targets/host.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { Prng } from '../../src/util/prng.js';
import { mobilec } from '../helpers/cli.js';
import { attr, OnnxBuilder, toNchw, toNhwc } from '../helpers/onnxBuilder.js';
import { damageOnnx, nhwc, randomInput, refusal, relErr, runOrt } from '../helpers/onnxRuntime.js';
import { asFloat32, buildAndRun, bytesOf, removeDir, tempDir, writeFiles } from '../codegen/helpers.js';

type AjvClass = typeof AjvModule.default;
const Ajv: AjvClass = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;
const validateInspect = new Ajv({ allErrors: true, strictTypes: false }).compile(
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'docs', 'inspect.schema.json'), 'utf8')) as object,
);

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const TOL = 1e-4;

/** ONNX Runtime vs the reference (and the generated C when `c`): the relative errors. */
async function crossCheck(bytes: Uint8Array, name: string, shape: readonly number[], opts: { c?: boolean; seed?: number } = {}) {
  const input = randomInput(shape, opts.seed ?? 7);
  const want = await runOrt(bytes, input, shape);
  const graph: Graph = prepareGraph(importOnnx(bytes, `${name}.onnx`));
  expect(graph.source).toEqual({ format: 'onnx', layout: 'NCHW', inputShapes: [shape], outputShapes: [want.dims] });
  const ref = runGraph(graph, [nhwc(input, shape)]).outputs[0] as Float32Array;
  const fromIr = (d: Float32Array) => (want.dims.length === 4 ? toNchw(d, want.dims) : d);
  const refErr = relErr(fromIr(ref), want.data);
  // Outputs that barely vary would hide a wrong layout under the tolerance.
  expect(Math.max(...want.data) - Math.min(...want.data)).toBeGreaterThan(0.05);
  let cErr: number | undefined;
  if (opts.c) {
    const p = generateProject(graph, { target: host, kernels: 'simd' });
    const dir = tempDir(`onnx_${name}`);
    dirs.push(dir);
    writeFiles(dir, p);
    // The C's input() and output() are in the model's layout (NCHW): invoke transposes at the boundary.
    const out = asFloat32(buildAndRun(dir, p, bytesOf(input)).output);
    cErr = relErr(out, want.data);
  }
  return { graph, refErr, cErr, want };
}

/** A MobileNetV1-like model: conv s2 (PyTorch's explicit pads) + BN + Clip, depthwise-separable blocks, GAP, PyTorch's flatten chain, Gemm, Softmax. */
function mobilenetV1(): Uint8Array {
  const b = new OnnxBuilder(11);
  let x = b.input('input', ['N', 3, 32, 32]);
  x = b.relu6(b.conv(x, 3, 8, 3, { stride: 2, pads: [1, 1, 1, 1], bn: true }));
  const blocks: [number, number, number][] = [
    [8, 16, 1],
    [16, 32, 2],
    [32, 32, 1],
    [32, 64, 2],
  ];
  for (const [cin, cout, s] of blocks) {
    x = b.relu6(b.conv(x, cin, cin, 3, { stride: s, pads: [1, 1, 1, 1], group: cin, bn: true }));
    x = b.relu6(b.conv(x, cin, cout, 1, { bn: true }));
  }
  x = b.node('GlobalAveragePool', [x]);
  // x.view(x.size(0), -1) as torch.onnx exports it
  const shape = b.node('Shape', [x]);
  const n = b.node('Gather', [shape, b.int64('zero', [], [0])], { axis: attr.i(0) });
  const n1 = b.node('Unsqueeze', [n, b.int64('axes0', [1], [0])]);
  const spec = b.node('Concat', [n1, b.int64('minus1', [1], [-1])], { axis: attr.i(0) });
  x = b.node('Reshape', [x, spec]);
  x = b.node('Gemm', [x, b.random('fc_w', [10, 64]), b.random('fc_b', [10])], { transB: attr.i(1) });
  x = b.node('Softmax', [x], { axis: attr.i(1) }, ['probs']);
  b.output('probs', ['N', 10]);
  return b.build(13);
}

/** A MobileNetV2-like model: inverted residual blocks (expansion, depthwise, linear projection, Add), Flatten, MatMul + Add. */
function mobilenetV2(): Uint8Array {
  const b = new OnnxBuilder(12);
  let x = b.input('input', [1, 3, 24, 24]);
  x = b.relu6(b.conv(x, 3, 8, 3, { stride: 2, pads: [1, 1, 1, 1], bn: true }));
  const block = (y: string, cin: number, cout: number, stride: number, t: number) => {
    const e = cin * t;
    let h = b.relu6(b.conv(y, cin, e, 1, { bn: true }));
    h = b.relu6(b.conv(h, e, e, 3, { stride, pads: [1, 1, 1, 1], group: e, bn: true }));
    h = b.conv(h, e, cout, 1, { bn: true });
    return stride === 1 && cin === cout ? b.node('Add', [y, h]) : h;
  };
  x = block(x, 8, 8, 1, 1);
  x = block(x, 8, 12, 2, 6);
  x = block(x, 12, 12, 1, 6);
  x = block(x, 12, 16, 2, 6);
  x = b.relu6(b.conv(x, 16, 48, 1, { bn: true }));
  x = b.node('GlobalAveragePool', [x]);
  x = b.node('Flatten', [x], { axis: attr.i(1) });
  x = b.node('MatMul', [x, b.random('fc_w', [48, 10])]);
  x = b.node('Add', [x, b.random('fc_b', [10])]);
  x = b.node('Softmax', [x], {}, ['probs']);
  b.output('probs', [1, 10]);
  return b.build(13);
}

describe('ONNX MobileNets against ONNX Runtime', () => {
  it('MobileNetV1-like (unfused BN, Clip, PyTorch pads and flatten chain): reference and C within 1e-4', async () => {
    const { graph, refErr, cErr } = await crossCheck(mobilenetV1(), 'mobilenet_v1_like', [1, 3, 32, 32], { c: true });
    console.log(`ONNX MobileNetV1-like vs ORT: reference ${refErr.toExponential(2)}, C ${cErr!.toExponential(2)}`);
    expect(refErr).toBeLessThan(TOL);
    expect(cErr).toBeLessThan(TOL);
    // BN folded, Clip fused into the convs; PyTorch's asymmetric stride-2 pads stay explicit PADs.
    const kinds = graph.ops.map((o) => o.kind);
    expect(kinds.filter((k) => k === 'batch_norm' || k === 'activation')).toEqual([]);
    expect(kinds).toEqual([
      'pad',
      'conv2d',
      'depthwise_conv2d',
      'conv2d',
      'pad',
      'depthwise_conv2d',
      'conv2d',
      'depthwise_conv2d',
      'conv2d',
      'pad',
      'depthwise_conv2d',
      'conv2d',
      'mean',
      'reshape',
      'fully_connected',
      'softmax',
    ]);
    expect(graph.ops.filter((o) => o.kind === 'conv2d' || o.kind === 'depthwise_conv2d').map((o) => (o as { activation: string }).activation)).toEqual(
      Array(9).fill('relu6'),
    );
  });

  it('MobileNetV2-like (inverted residuals, linear projections, MatMul + Add): reference and C within 1e-4', async () => {
    const { graph, refErr, cErr } = await crossCheck(mobilenetV2(), 'mobilenet_v2_like', [1, 3, 24, 24], { c: true });
    console.log(`ONNX MobileNetV2-like vs ORT: reference ${refErr.toExponential(2)}, C ${cErr!.toExponential(2)}`);
    expect(refErr).toBeLessThan(TOL);
    expect(cErr).toBeLessThan(TOL);
    expect(graph.ops.filter((o) => o.kind === 'add')).toHaveLength(2);
    expect(graph.ops.filter((o) => o.kind === 'fully_connected')).toHaveLength(1);
    expect(graph.ops.some((o) => o.kind === 'batch_norm')).toBe(false);
  });

  it('compiles and verifies through the CLI (.onnx dispatched by loadModel)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mobilec-onnx-'));
    dirs.push(dir);
    const path = join(dir, 'v2.onnx');
    writeFileSync(path, mobilenetV2());
    const r = mobilec(['verify', path, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const inspect = mobilec(['inspect', path, '--json']);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(validateInspect(JSON.parse(inspect.stdout)), JSON.stringify(validateInspect.errors)).toBe(true);
    const run = mobilec(['run', path, '--seed', '1']);
    expect(run.code, run.stderr).toBe(0);
  });
});

/** A one-input graph: `f` adds nodes to the builder and returns the output name and its NCHW shape. */
function opModel(shape: number[], f: (b: OnnxBuilder, x: string) => [string, number[]], opset = 13): Uint8Array {
  const b = new OnnxBuilder(5);
  const x = b.input('x', shape);
  const [y, s] = f(b, x);
  b.output(y, s);
  return b.build(opset);
}

const S = [1, 4, 9, 9];

describe('ONNX ops against ONNX Runtime (reference)', () => {
  const cases: [string, Uint8Array, number[], boolean?][] = [
    ['Clip 0..6 as inputs', opModel(S, (b, x) => [b.relu6(b.conv(x, 4, 4, 3, { pads: [1, 1, 1, 1] })), [1, 4, 9, 9]]), S],
    ['Clip 0..6 as attributes (opset 6)', opModel(S, (b, x) => [b.node('Clip', [x], { min: attr.f(0), max: attr.f(6) }), S], 6), S],
    ['Clip min only (relu)', opModel(S, (b, x) => [b.node('Clip', [x, b.init('lo', [], [0])]), S]), S],
    ['Clip -1..1', opModel(S, (b, x) => [b.node('Clip', [x, b.init('lo', [], [-1]), b.init('hi', [], [1])]), S]), S],
    [
      'Relu after conv (float_data weights)',
      opModel(S, (b, x) => [
        b.node('Relu', [
          b.node('Conv', [
            x,
            b.init(
              'w',
              [4, 4, 1, 1],
              Float32Array.from({ length: 16 }, (_, i) => (i % 5) - 2),
              false,
            ),
          ]),
        ]),
        S,
      ]),
      S,
    ],
    [
      'Conv auto_pad SAME_UPPER s2',
      opModel([1, 3, 10, 10], (b, x) => [b.conv(x, 3, 5, 3, { stride: 2, autoPad: 'SAME_UPPER' }), [1, 5, 5, 5]]),
      [1, 3, 10, 10],
      true,
    ],
    [
      'Conv auto_pad SAME_LOWER s2 (odd total pad: explicit PAD)',
      opModel([1, 3, 10, 10], (b, x) => [b.conv(x, 3, 5, 3, { stride: 2, autoPad: 'SAME_LOWER' }), [1, 5, 5, 5]]),
      [1, 3, 10, 10],
    ],
    ['Conv auto_pad VALID', opModel(S, (b, x) => [b.conv(x, 4, 6, 3, { autoPad: 'VALID' }), [1, 6, 7, 7]]), S],
    ['Conv asymmetric pads [0, 2, 1, 0]', opModel(S, (b, x) => [b.conv(x, 4, 6, 3, { pads: [0, 2, 1, 0] }), [1, 6, 8, 9]]), S],
    ['Conv 5x5 pads 2 (SAME)', opModel(S, (b, x) => [b.conv(x, 4, 6, 5, { pads: [2, 2, 2, 2] }), [1, 6, 9, 9]]), S],
    ['depthwise with multiplier 2', opModel(S, (b, x) => [b.conv(x, 4, 8, 3, { group: 4, pads: [1, 1, 1, 1], bias: true }), [1, 8, 9, 9]]), S, true],
    ['Pad then VALID conv', opModel(S, (b, x) => [b.conv(b.node('Pad', [x, b.int64('p', [8], [0, 0, 1, 2, 0, 0, 2, 1])]), 4, 4, 3), [1, 4, 10, 10]]), S],
    ['Pad (channels too)', opModel(S, (b, x) => [b.node('Pad', [x, b.int64('p', [8], [0, 1, 0, 1, 0, 2, 1, 0])]), [1, 7, 10, 10]]), S],
    ['Concat on channels', opModel(S, (b, x) => [b.node('Concat', [b.node('Relu', [x]), x, b.conv(x, 4, 2, 1)], { axis: attr.i(1) }), [1, 10, 9, 9]]), S, true],
    [
      'MaxPool 3x3 s2 SAME_UPPER',
      opModel(S, (b, x) => [
        b.node('MaxPool', [x], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), auto_pad: attr.s('SAME_UPPER') }),
        [1, 4, 5, 5],
      ]),
      S,
    ],
    [
      'MaxPool 2x2 s2 VALID',
      opModel(S, (b, x) => [b.node('MaxPool', [x], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) }), [1, 4, 4, 4]]),
      S,
      true,
    ],
    [
      'AveragePool 3x3 s1 pads 1 (excluding pads)',
      opModel(S, (b, x) => [b.node('AveragePool', [x], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) }), S]),
      S,
    ],
    [
      'AveragePool 3x3 s2 pads 1 count_include_pad',
      opModel(S, (b, x) => [
        b.node('AveragePool', [x], {
          kernel_shape: attr.ints([3, 3]),
          strides: attr.ints([2, 2]),
          pads: attr.ints([1, 1, 1, 1]),
          count_include_pad: attr.i(1),
        }),
        [1, 4, 5, 5],
      ]),
      S,
    ],
    ['AveragePool whole input', opModel(S, (b, x) => [b.node('AveragePool', [x], { kernel_shape: attr.ints([9, 9]) }), [1, 4, 1, 1]]), S],
    ['HardSwish (opset 14)', opModel(S, (b, x) => [b.node('HardSwish', [b.conv(x, 4, 4, 1)]), S], 14), S, true],
    ['HardSigmoid (default alpha, beta)', opModel(S, (b, x) => [b.node('HardSigmoid', [b.conv(x, 4, 4, 1)]), S]), S, true],
    [
      'HardSigmoid (alpha 1/6) times x (PyTorch hardswish, opset 13)',
      opModel(S, (b, x) => [b.node('Mul', [x, b.node('HardSigmoid', [x], { alpha: attr.f(1 / 6), beta: attr.f(0.5) })]), S]),
      S,
    ],
    [
      'x times HardSigmoid(conv(x); 1/6, 1/2): not a hardswish, stays decomposed',
      opModel(S, (b, x) => [b.node('Mul', [x, b.node('HardSigmoid', [b.conv(x, 4, 4, 1)], { alpha: attr.f(1 / 6), beta: attr.f(0.5) })]), S]),
      S,
    ],
    ['Sigmoid', opModel(S, (b, x) => [b.node('Sigmoid', [x]), S]), S],
    [
      'Add and Mul by per-channel and scalar constants',
      opModel(S, (b, x) => [b.node('Mul', [b.node('Add', [b.init('c', [4, 1, 1], [1, -2, 3, 0.5]), x]), b.init('s', [], [0.25])]), S]),
      S,
      true,
    ],
    [
      'Mul by a squeeze-excite scale [N, C, 1, 1]',
      opModel(S, (b, x) => [b.node('Mul', [x, b.node('Sigmoid', [b.node('GlobalAveragePool', [x])])]), S]),
      S,
      true,
    ],
    [
      'Gemm transB 0 with alpha, beta',
      opModel([1, 6], (b, x) => [b.node('Gemm', [x, b.random('w', [6, 5]), b.random('c', [5])], { alpha: attr.f(0.5), beta: attr.f(2) }), [1, 5]]),
      [1, 6],
    ],
    ['MatMul + Add', opModel([1, 6], (b, x) => [b.node('Add', [b.node('MatMul', [x, b.random('w', [6, 5])]), b.random('c', [5])]), [1, 5]]), [1, 6], true],
    [
      'MatMul alone, Identity, Dropout',
      opModel([1, 6], (b, x) => [b.node('Dropout', [b.node('Identity', [b.node('MatMul', [x, b.random('w', [6, 3])])])]), [1, 3]]),
      [1, 6],
    ],
    [
      'Flatten of [1, 1, 3, 3] and Reshape with a constant shape',
      opModel([1, 1, 3, 3], (b, x) => [b.node('Reshape', [b.node('Flatten', [x]), b.int64('s', [4], [1, 9, 1, 1])]), [1, 9, 1, 1]]),
      [1, 1, 3, 3],
    ],
    [
      'Flatten of [1, 6, 4, 5] into Gemm (weights permuted to NHWC order)',
      opModel([1, 3, 4, 5], (b, x) => [
        b.node('Gemm', [b.node('Flatten', [b.conv(x, 3, 6, 3, { pads: [1, 1, 1, 1] })]), b.random('w', [7, 120]), b.random('c', [7])], { transB: attr.i(1) }),
        [1, 7],
      ]),
      [1, 3, 4, 5],
      true,
    ],
    [
      'Reshape of [1, 6, 4, 5] to [1, -1] into MatMul + Add',
      opModel([1, 3, 4, 5], (b, x) => [
        b.node('Add', [
          b.node('MatMul', [b.node('Reshape', [b.conv(x, 3, 6, 3, { pads: [1, 1, 1, 1] }), b.int64('s', [2], [1, -1])]), b.random('w', [120, 7])]),
          b.random('c', [7]),
        ]),
        [1, 7],
      ]),
      [1, 3, 4, 5],
    ],
    ['Softmax on channels (opset 13, rank 4)', opModel(S, (b, x) => [b.node('Softmax', [x], { axis: attr.i(1) }), S]), S],
    ['Softmax (opset 11, rank 2)', opModel([2, 7], (b, x) => [b.node('Softmax', [x]), [2, 7]], 11), [2, 7]],
  ];
  for (const [name, bytes, shape, c] of cases) {
    it(name, async () => {
      const { refErr, cErr } = await crossCheck(bytes, name.replace(/[^A-Za-z0-9]+/g, '_'), shape, { c: c ?? false });
      console.log(`ONNX ${name} vs ORT: reference ${refErr.toExponential(2)}${cErr === undefined ? '' : `, C ${cErr.toExponential(2)}`}`);
      expect(refErr).toBeLessThan(TOL);
      if (c) expect(cErr).toBeLessThan(TOL);
    });
  }

  it('maps padding forms onto SAME, VALID or an explicit PAD', () => {
    const kinds = (bytes: Uint8Array) => prepareGraph(importOnnx(bytes, 'm.onnx')).ops.map((o) => `${o.kind}${'padding' in o ? `:${o.padding}` : ''}`);
    expect(kinds(opModel([1, 3, 10, 10], (b, x) => [b.conv(x, 3, 5, 3, { stride: 2, autoPad: 'SAME_UPPER' }), [1, 5, 5, 5]]))).toEqual(['conv2d:same']);
    expect(kinds(opModel([1, 3, 10, 10], (b, x) => [b.conv(x, 3, 5, 3, { stride: 2, autoPad: 'SAME_LOWER' }), [1, 5, 5, 5]]))).toEqual(['pad', 'conv2d:valid']);
    expect(kinds(opModel(S, (b, x) => [b.conv(x, 4, 6, 3, { pads: [1, 1, 1, 1] }), [1, 6, 9, 9]]))).toEqual(['conv2d:same']);
    expect(kinds(opModel(S, (b, x) => [b.conv(x, 4, 6, 3, { stride: 2, pads: [1, 1, 1, 1] }), [1, 6, 5, 5]]))).toEqual(['conv2d:same']);
    expect(kinds(opModel([1, 4, 8, 8], (b, x) => [b.conv(x, 4, 6, 3, { stride: 2, pads: [1, 1, 1, 1] }), [1, 6, 4, 4]]))).toEqual(['pad', 'conv2d:valid']);
    expect(kinds(opModel(S, (b, x) => [b.conv(x, 4, 6, 3), [1, 6, 7, 7]]))).toEqual(['conv2d:valid']);
  });

  it('maps x · HardSigmoid(x; 1/6, 1/2) onto hard_swish, other HardSigmoids onto mul, add + relu6, mul', () => {
    const kinds = (bytes: Uint8Array) => prepareGraph(importOnnx(bytes, 'm.onnx')).ops.map((o) => o.kind);
    const hs = (alpha: number) => opModel(S, (b, x) => [b.node('Mul', [b.node('HardSigmoid', [x], { alpha: attr.f(alpha), beta: attr.f(0.5) }), x]), S]);
    expect(kinds(hs(1 / 6))).toEqual(['hard_swish']);
    expect(kinds(hs(0.2))).toEqual(['mul', 'add', 'mul', 'mul']);
  });
});

describe('ONNX external data', () => {
  it('reads weights from a file next to the model (offset, length) and matches ONNX Runtime', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mobilec-onnx-'));
    dirs.push(dir);
    const w = randomInput([6, 4, 3, 3], 3);
    const bytes = opModel(S, (b, x) => [
      b.node('Conv', [x, b.external('w', [6, 4, 3, 3], 'weights.bin', 16, w.byteLength)], { pads: attr.ints([1, 1, 1, 1]) }),
      [1, 6, 9, 9],
    ]);
    const data = new Uint8Array(16 + w.byteLength);
    data.set(new Uint8Array(w.buffer), 16);
    writeFileSync(join(dir, 'weights.bin'), data);
    const path = join(dir, 'ext.onnx');
    writeFileSync(path, bytes);
    const input = randomInput(S, 9);
    const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const want = (await session.run({ x: new ort.Tensor('float32', input, S) }))[session.outputNames[0]!]!.data as Float32Array;
    const graph = prepareGraph(importOnnx(bytes, path));
    const got = toNchw(runGraph(graph, [toNhwc(input, S)]).outputs[0] as Float32Array, [1, 6, 9, 9]);
    expect(relErr(got, want)).toBeLessThan(TOL);
    // Past the end of the file, outside the model's directory, over the budget: refused before reading.
    const short = opModel(S, (b, x) => [b.node('Conv', [x, b.external('w', [6, 4, 3, 3], 'weights.bin', 32, w.byteLength)]), [1, 6, 7, 7]]);
    expect(() => importOnnx(short, path)).toThrow(/external data 'weights.bin' is shorter than offset 32/);
    const outside = opModel(S, (b, x) => [b.node('Conv', [x, b.external('w', [6, 4, 3, 3], '../weights.bin', 0, w.byteLength)]), [1, 6, 7, 7]]);
    expect(() => importOnnx(outside, path)).toThrow(/external data '..\/weights.bin' is outside the model's directory/);
    expect(() => importOnnx(bytes, path, { ...budgetSmall, maxTensorBytes: 1 << 20, maxWeightBytes: 800 })).toThrow(
      /^ext\.onnx: the model's weights: 864 bytes, over the limit of 800 bytes for all weights/,
    );
  });
});

describe('ONNX refusals', () => {
  const refuse = (bytes: Uint8Array): string => refusal(() => importOnnx(bytes, 'bad.onnx'));

  it('an unsupported op names the file, the node, its type and the supported list; the CLI exits 2 with one line', () => {
    const bytes = opModel([1, 6], (b, x) => [
      b.node('LSTM', [x, b.random('w', [1, 8, 6]), b.random('r', [1, 8, 2])], { hidden_size: attr.i(2) }, 1, 'my_lstm'),
      [1, 2],
    ]);
    expect(refuse(bytes)).toMatch(/^bad\.onnx: node 0 'my_lstm' \(LSTM\) is not supported; supported: Conv, BatchNormalization, Relu, Clip,.* Softmax/);
    const dir = mkdtempSync(join(tmpdir(), 'mobilec-onnx-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'lstm.onnx'), bytes);
    const r = mobilec(['compile', join(dir, 'lstm.onnx'), '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("node 0 'my_lstm' (LSTM) is not supported");
  });

  it('a dilated conv', () => {
    const bytes = opModel(S, (b, x) => [b.node('Conv', [x, b.random('w', [4, 4, 3, 3])], { dilations: attr.ints([2, 2]) }, 1, 'dil'), [1, 4, 5, 5]]);
    expect(refuse(bytes)).toBe("bad.onnx: node 0 'dil' (Conv): dilations [2, 2] are not supported (only 1)");
  });

  it('a reshape by a computed shape, and one that would reorder channels-first data', () => {
    const computed = opModel(S, (b, x) => [b.node('Reshape', [x, b.node('Cast', [b.node('Relu', [x])], { to: attr.i(7) })], {}, 1, 'rs'), [1, 324]]);
    expect(refuse(computed)).toMatch(/^bad\.onnx: node 1 'cast_1' \(Cast\): supported only on constants/);
    const dyn = opModel(S, (b, x) => [b.node('Relu', [b.node('Reshape', [x, b.node('Shape', [b.node('Relu', [x])])], {}, 1, 'rs')]), S]);
    expect(() => importOnnx(dyn, 'ok.onnx')).not.toThrow(); // a shape known at import folds
    const reorder = opModel(S, (b, x) => [b.node('Relu', [b.node('Reshape', [x, b.int64('s', [2], [1, -1])], {}, 1, 'rs')]), [1, 324]]);
    expect(refuse(reorder)).toBe(
      "bad.onnx: node 0 'rs' (Reshape): reshaping [1, 4, 9, 9] to [1, 324] would reorder a channels-first tensor; supported when its spatial size or channels are 1",
    );
  });

  it('BatchNormalization not after a Conv, a Clip range the IR has no activation for, grouped conv, MaxPool pads', () => {
    const b1 = opModel(S, (b, x) => [b.bn(x, 4), S]);
    expect(refuse(b1)).toMatch(/node 0 'batchnormalization_0' \(BatchNormalization\): is supported only right after a Conv/);
    const b2 = opModel(S, (b, x) => [b.node('Clip', [x, b.init('lo', [], [0]), b.init('hi', [], [4])], {}, 1, 'c4'), S]);
    expect(refuse(b2)).toBe("bad.onnx: node 0 'c4' (Clip): range [0, 4] is not supported; supported: [0, 6], [0, inf), [-1, 1]");
    const b3 = opModel(S, (b, x) => [b.conv(x, 4, 4, 3, { group: 2, pads: [1, 1, 1, 1] }), S]);
    expect(refuse(b3)).toMatch(/\(Conv\): group 2 is not supported/);
    const b5 = opModel(S, (b, x) => {
      const c = b.conv(x, 4, 4, 3, { pads: [1, 1, 1, 1], bias: false });
      return [b.node('Add', [b.bn(b.node('Identity', [c]), 4), c]), S];
    });
    expect(refuse(b5)).toMatch(/\(BatchNormalization\): is supported only right after a Conv whose output nothing else reads/);
    const b4 = opModel(S, (b, x) => [b.node('MaxPool', [x], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([0, 0, 2, 2]) }), S]);
    expect(refuse(b4)).toMatch(/\(MaxPool\): pads \[0, 0, 2, 2\] are not supported here/);
  });

  it('damaged bytes and tensors over the budget', () => {
    expect(refuse(Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0x0f))).toMatch(/^bad\.onnx: not a valid ONNX model/);
    const big = opModel(S, (b, x) => [b.conv(x, 4, 4, 3, { pads: [1, 1, 1, 1] }), S]);
    expect(() => importOnnx(big, 'big.onnx', { ...budgetSmall })).toThrow(/over the limit of 100 bytes per tensor/);
  });
});

const budgetSmall = { maxTensorBytes: 100, maxWeightBytes: 1 << 20, maxActivationBytes: 1 << 20, maxOps: 100, maxFileBytes: 1 << 20 };

describe('damaged ONNX files', () => {
  it('import either succeeds or refuses with one line (exit 2): truncations, bit flips, overwritten words', () => {
    const seeds = [mobilenetV1(), mobilenetV2()];
    const rng = new Prng(17);
    const outcomes = { ok: 0, refused: 0 };
    for (let k = 0; k < 400; k++) {
      // Form 3 overwrites one byte among the first 400: the graph's structure sits before the weights' bulk.
      const bytes = damageOnnx(seeds[k % 2]!, k, rng, (b) => {
        b[rng.int(0, Math.min(b.length - 1, 400))] = rng.int(0, 255);
      });
      try {
        const g = prepareGraph(importOnnx(bytes, 'm.onnx', budgetFuzz));
        runGraph(g, [randomInput(g.tensors[g.inputs[0]!]!.shape, 1)]);
        outcomes.ok++;
      } catch (e) {
        if (!(e instanceof MobilecError) || e.exitCode !== 2) throw new Error(`case ${k} (form ${k % 4}): ${e instanceof Error ? e.stack : String(e)}`);
        expect(e.message).not.toContain('\n');
        outcomes.refused++;
      }
    }
    console.log(`damaged ONNX files: ${outcomes.ok} imported, ${outcomes.refused} refused`);
    expect(outcomes.refused).toBeGreaterThan(100);
  });
});

const budgetFuzz = { maxTensorBytes: 1 << 20, maxWeightBytes: 4 << 20, maxActivationBytes: 8 << 20, maxOps: 1000, maxFileBytes: 8 << 20 };
