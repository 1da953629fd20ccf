/**
 * MobileNetV1 (any width multiplier and resolution) as PyTorch exports it to
 * ONNX: NCHW, stem conv stride 2 with pads 1, depthwise-separable blocks
 * (depthwise 3×3 pads 1, pointwise 1×1), each conv + BatchNormalization +
 * Clip(0, 6), GlobalAveragePool, Flatten, Gemm, Softmax. Random weights (a
 * fixed seed, scaled by fan-in so activations neither vanish nor saturate).
 *
 * Three forms of the same weights:
 *  - `float`: float32, BatchNormalization unfused (ONNX Runtime and mobilec
 *    both fold it);
 *  - `calibrate`: the float model with every quantization point also a graph
 *    output, to take each point's range in ONNX Runtime;
 *  - `qdq`: int8 as onnxruntime's static quantization writes it: the
 *    BatchNormalization folded into the conv, weights int8 symmetric per
 *    output channel, int32 biases, QuantizeLinear → DequantizeLinear at every
 *    activation with the calibrated parameters.
 */
import { Prng } from '../../src/util/prng.js';
import { attr, OnnxBuilder, type QParams, rangeParams } from './onnxBuilder.js';

export interface MobilenetV1Spec {
  /** Width multiplier: 0.25, 0.5, 0.75, 1.0. */
  readonly alpha: number;
  /** Input height and width. */
  readonly resolution: number;
  readonly classes?: number;
}

export type MobilenetMode = { kind: 'float' } | { kind: 'calibrate' } | { kind: 'qdq'; params: ReadonlyMap<string, QParams> };

/** MobileNetV1's 13 depthwise-separable blocks: [output channels at α = 1, depthwise stride]. */
const BLOCKS: readonly (readonly [number, number])[] = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [1024, 2],
  [1024, 1],
];

/** Folds BatchNormalization(scale, shift, mean, var, eps) into a conv's weights [cout, …] and bias. */
function foldBn(w: Float32Array, b: Float32Array, bn: { scale: Float32Array; shift: Float32Array; mean: Float32Array; variance: Float32Array }): void {
  const cout = b.length;
  const per = w.length / cout;
  for (let c = 0; c < cout; c++) {
    const k = bn.scale[c]! / Math.sqrt(bn.variance[c]! + 1e-5);
    for (let i = 0; i < per; i++) w[c * per + i] = w[c * per + i]! * k;
    b[c] = (b[c]! - bn.mean[c]!) * k + bn.shift[c]!;
  }
}

export interface BuiltMobilenet {
  readonly bytes: Uint8Array;
  /** The quantization points, in graph order (the first is the input, `in`). */
  readonly points: readonly string[];
  readonly inputShape: readonly number[];
  /** Multiply-accumulates of the convs and the Gemm. */
  readonly macs: number;
}

export function mobilenetV1Onnx(spec: MobilenetV1Spec, mode: MobilenetMode): BuiltMobilenet {
  const classes = spec.classes ?? 1000;
  const res = spec.resolution;
  const b = new OnnxBuilder(1);
  const rng = new Prng(20261207);
  const uniform = (n: number, lim: number) => Float32Array.from({ length: n }, () => rng.uniform(-lim, lim));
  const points: string[] = [];
  let macs = 0;
  let sIn = 0;
  const point = (x: string, name: string): string => {
    points.push(name);
    if (mode.kind === 'calibrate') b.output(b.node('Identity', [x], {}, [name]));
    if (mode.kind !== 'qdq') return x;
    const p = mode.params.get(name);
    if (!p) throw new Error(`no quantization parameters for ${name}`);
    sIn = p.scale;
    return b.dequantize(b.quantize(x, p), p);
  };
  let layer = 0;
  let size = res;
  /** Conv + BatchNormalization + Clip(0, 6); `group` = cin for depthwise. */
  const convBnRelu6 = (x: string, cin: number, cout: number, k: number, stride: number, group: number): string => {
    const l = layer++;
    const dims = [cout, cin / group, k, k];
    const fanIn = (cin / group) * k * k;
    const w = uniform(cout * fanIn, Math.sqrt(6 / fanIn));
    const bias = new Float32Array(cout);
    const bn = {
      scale: Float32Array.from({ length: cout }, () => rng.uniform(0.5, 1.5)),
      shift: Float32Array.from({ length: cout }, () => rng.uniform(0, 0.4)),
      mean: Float32Array.from({ length: cout }, () => rng.uniform(-0.2, 0.2)),
      variance: Float32Array.from({ length: cout }, () => rng.uniform(0.5, 1.5)),
    };
    const pad = (k - 1) / 2;
    size = Math.floor((size + 2 * pad - k) / stride) + 1;
    macs += size * size * cout * fanIn;
    const attrs: Record<string, ReturnType<typeof attr.i>> = {
      kernel_shape: attr.ints([k, k]),
      strides: attr.ints([stride, stride]),
      pads: attr.ints([pad, pad, pad, pad]),
    };
    if (group !== 1) attrs.group = attr.i(group);
    let y: string;
    if (mode.kind === 'qdq') {
      foldBn(w, bias, bn);
      const qw = b.qWeights(`w${l}`, dims, w, 0);
      y = b.node('Conv', [x, qw.name, b.qBias(`b${l}`, bias, sIn, qw.scales)], attrs);
    } else {
      y = b.node('Conv', [x, b.init(`w${l}`, dims, w)], attrs);
      y = b.node(
        'BatchNormalization',
        [
          y,
          b.init(`bn_scale${l}`, [cout], bn.scale),
          b.init(`bn_shift${l}`, [cout], bn.shift),
          b.init(`bn_mean${l}`, [cout], bn.mean),
          b.init(`bn_var${l}`, [cout], bn.variance),
        ],
        { epsilon: attr.f(1e-5) },
      );
    }
    return point(b.relu6(y), `a${l}`);
  };
  const ch = (c: number) => Math.max(8, Math.round(c * spec.alpha));
  const inputShape = [1, 3, res, res];
  let x = point(b.input('input', inputShape), 'in');
  let cin = ch(32);
  x = convBnRelu6(x, 3, cin, 3, 2, 1);
  for (const [c, s] of BLOCKS) {
    x = convBnRelu6(x, cin, cin, 3, s, cin);
    x = convBnRelu6(x, cin, ch(c), 1, 1, 1);
    cin = ch(c);
  }
  x = point(b.node('GlobalAveragePool', [x]), 'gap');
  x = b.node('Flatten', [x], { axis: attr.i(1) });
  if (mode.kind === 'qdq') x = b.dequantize(b.quantize(x, mode.params.get('gap')!), mode.params.get('gap')!);
  const fw = uniform(classes * cin, Math.sqrt(6 / cin));
  const fb = uniform(classes, 0.1);
  macs += classes * cin;
  if (mode.kind === 'qdq') {
    const qw = b.qWeights('fc_w', [classes, cin], fw, 0);
    x = b.node('Gemm', [x, qw.name, b.qBias('fc_b', fb, sIn, qw.scales)], { transB: attr.i(1) });
  } else {
    x = b.node('Gemm', [x, b.init('fc_w', [classes, cin], fw), b.init('fc_b', [classes], fb)], { transB: attr.i(1) });
  }
  x = point(x, 'fc');
  x = b.node('Softmax', [x], { axis: attr.i(1) });
  if (mode.kind === 'qdq') {
    const sm: QParams = { scale: 1 / 256, zp: -128, type: 'int8' };
    x = b.dequantize(b.quantize(x, sm), sm);
  }
  b.node('Identity', [x], {}, ['probs']);
  b.output('probs', [1, classes]);
  return { bytes: b.build(13), points, inputShape, macs };
}

/**
 * Quantization parameters from ranges observed on the `calibrate` model:
 * `ranges` maps each point to [min, max]; the input is taken as [-1, 1].
 */
export function calibratedParams(ranges: ReadonlyMap<string, readonly [number, number]>): Map<string, QParams> {
  const params = new Map<string, QParams>();
  for (const [p, [lo, hi]] of ranges) params.set(p, rangeParams(lo, hi, 'int8'));
  params.set('in', rangeParams(-1, 1, 'int8'));
  return params;
}
