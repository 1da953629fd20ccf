/**
 * MobileNetV2 and MobileNetV3 layer for layer as tf.keras.applications builds
 * them (MobileNetV2; MobileNetV3Small / MobileNetV3Large with
 * include_preprocessing=False, minimalistic=False), as description layers.
 *
 * Keras pads every stride-2 depthwise explicitly (ZeroPadding2D with
 * imagenet_utils.correct_pad, then VALID): ((1 − H mod 2, 1), (1 − W mod 2, 1)).
 * That is exactly TensorFlow's SAME padding for a 3×3 or 5×5 window at stride
 * 2 (leading pad floor(total / 2), total = (out − 1)·2 + k − H), so these
 * layers say SAME; a Keras .tflite's PAD → DEPTHWISE_CONV_2D(VALID) becomes
 * the same layer through the pad-fusion pass (src/passes/fusePad.ts).
 */
import type { Activation } from '../../model/ir.js';
import type { LayerDesc } from './schema.js';
import type { Layer, Network } from './build.js';

/** Keras' _make_divisible / _depth: the nearest multiple of 8 (at least 8), never more than 10% below v. */
export function makeDivisible(v: number, divisor = 8): number {
  const n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return n < 0.9 * v ? n + divisor : n;
}

export interface KerasNetDesc {
  resolution: number;
  channels?: number;
  alpha: number;
  classes: number;
  includeTop?: boolean;
}

/** Layer-list builder shared by the Keras networks: names are Keras' layer names, each output referable by name. */
class Builder {
  readonly layers: Layer[] = [];
  last = 'input';
  channels: number;

  constructor(channels: number) {
    this.channels = channels;
  }

  add(name: string, desc: LayerDesc, channels = this.channels): string {
    this.layers.push({ name, at: '/', desc: { ...desc, ...(desc.input === undefined ? { input: this.last } : {}) } });
    this.last = name;
    this.channels = channels;
    return name;
  }

  /** Conv2D(use_bias=False) → BatchNormalization → activation. */
  conv(name: string, filters: number, kernel: number, stride: number, activation: Activation): string {
    return this.add(name, { op: 'conv', filters, kernel, stride, padding: 'same', batchNorm: true, bias: false, activation }, filters);
  }

  /** DepthwiseConv2D(use_bias=False) → BatchNormalization → activation. */
  depthwise(name: string, kernel: number, stride: number, activation: Activation): string {
    return this.add(name, { op: 'depthwise', kernel, stride, padding: 'same', batchNorm: true, bias: false, activation });
  }
}

/** tf.keras.applications.MobileNetV2's 17 inverted residual blocks: [expansion, filters, stride]. */
const V2_BLOCKS: readonly (readonly [number, number, number])[] = [
  [1, 16, 1],
  [6, 24, 2],
  [6, 24, 1],
  [6, 32, 2],
  [6, 32, 1],
  [6, 32, 1],
  [6, 64, 2],
  [6, 64, 1],
  [6, 64, 1],
  [6, 64, 1],
  [6, 96, 1],
  [6, 96, 1],
  [6, 96, 1],
  [6, 160, 2],
  [6, 160, 1],
  [6, 160, 1],
  [6, 320, 1],
];

/** tf.keras.applications.MobileNetV2(alpha, input_shape=(r, r, c), classes, include_top). */
export function mobilenetV2Layers(d: KerasNetDesc): Network {
  const b = new Builder(d.channels ?? 3);
  b.conv('Conv1', makeDivisible(32 * d.alpha), 3, 2, 'relu6');
  V2_BLOCKS.forEach(([expansion, filters, stride], id) => {
    const inC = b.channels;
    const shortcut = b.last;
    const outC = makeDivisible(Math.trunc(filters * d.alpha));
    const prefix = id === 0 ? 'expanded_conv_' : `block_${id}_`;
    if (id > 0) b.conv(`${prefix}expand`, expansion * inC, 1, 1, 'relu6');
    b.depthwise(`${prefix}depthwise`, 3, stride, 'relu6');
    b.conv(`${prefix}project`, outC, 1, 1, 'none');
    if (stride === 1 && inC === outC) b.add(`${prefix}add`, { op: 'add', with: shortcut });
  });
  b.conv('Conv_1', d.alpha > 1 ? makeDivisible(1280 * d.alpha) : 1280, 1, 1, 'relu6');
  if (d.includeTop ?? true) {
    b.add('global_average_pooling2d', { op: 'mean', keepDims: false });
    b.add('predictions', { op: 'fc', units: d.classes, bias: true, activation: 'none' }, d.classes);
    b.add('predictions/Softmax', { op: 'softmax', beta: 1 });
  }
  return { input: [1, d.resolution, d.resolution, d.channels ?? 3], layers: b.layers };
}

/** One tf.keras.applications MobileNetV3 block: [expansion, filters (before alpha), kernel, stride, squeeze-excite, hard-swish (else ReLU)]. */
type V3Block = readonly [number, number, number, number, boolean, boolean];

/** MobileNetV3Small's stack (minimalistic=False: kernel 5 where Keras says `kernel`, se_ratio 0.25, hard swish where it says `activation`). */
const V3_SMALL: readonly V3Block[] = [
  [1, 16, 3, 2, true, false],
  [72 / 16, 24, 3, 2, false, false],
  [88 / 24, 24, 3, 1, false, false],
  [4, 40, 5, 2, true, true],
  [6, 40, 5, 1, true, true],
  [6, 40, 5, 1, true, true],
  [3, 48, 5, 1, true, true],
  [3, 48, 5, 1, true, true],
  [6, 96, 5, 2, true, true],
  [6, 96, 5, 1, true, true],
  [6, 96, 5, 1, true, true],
];

/** MobileNetV3Large's stack. */
const V3_LARGE: readonly V3Block[] = [
  [1, 16, 3, 1, false, false],
  [4, 24, 3, 2, false, false],
  [3, 24, 3, 1, false, false],
  [3, 40, 5, 2, true, false],
  [3, 40, 5, 1, true, false],
  [3, 40, 5, 1, true, false],
  [6, 80, 3, 2, false, true],
  [2.5, 80, 3, 1, false, true],
  [2.3, 80, 3, 1, false, true],
  [2.3, 80, 3, 1, false, true],
  [6, 112, 3, 1, true, true],
  [6, 112, 3, 1, true, true],
  [6, 160, 5, 2, true, true],
  [6, 160, 5, 1, true, true],
  [6, 160, 5, 1, true, true],
];

/**
 * tf.keras.applications.MobileNetV3Small / MobileNetV3Large(alpha, input_shape, classes, include_top,
 * minimalistic=False, include_preprocessing=False). Keras' hard_swish (x · ReLU6(x + 3) / 6) is the
 * `hard_swish` layer, as the TFLite converter fuses it into HARD_SWISH; the squeeze-excite's hard sigmoid
 * stays ADD(+3) with ReLU6 → MUL(1/6), as the converter leaves it.
 */
export function mobilenetV3Layers(d: KerasNetDesc, size: 'small' | 'large'): Network {
  const b = new Builder(d.channels ?? 3);
  const depth = (c: number) => makeDivisible(c * d.alpha);
  /** Conv or depthwise (batch norm, no bias), then the block's activation: fused ReLU, or a hard_swish layer. */
  const act = (name: string, desc: LayerDesc, hswish: boolean, channels?: number) => {
    b.add(name, { ...desc, activation: hswish ? 'none' : 'relu' }, channels);
    if (hswish) b.add(`${name}/hard_swish`, { op: 'hard_swish' });
  };
  const conv = (name: string, filters: number, kernel: number, stride: number, hswish: boolean) =>
    act(name, { op: 'conv', filters, kernel, stride, padding: 'same', batchNorm: true, bias: false }, hswish, filters);
  conv('Conv', 16, 3, 2, true);
  (size === 'small' ? V3_SMALL : V3_LARGE).forEach(([expansion, f, kernel, stride, se, hswish], id) => {
    const inC = b.channels;
    const shortcut = b.last;
    const filters = depth(f);
    const prefix = id === 0 ? 'expanded_conv/' : `expanded_conv_${id}/`;
    const mid = id === 0 ? inC : makeDivisible(inC * expansion);
    if (id > 0) conv(`${prefix}expand`, mid, 1, 1, hswish);
    act(`${prefix}depthwise`, { op: 'depthwise', kernel, stride, padding: 'same', batchNorm: true, bias: false }, hswish);
    if (se) {
      const features = b.last;
      b.add(`${prefix}squeeze_excite/AvgPool`, { op: 'mean', keepDims: true });
      const squeeze = makeDivisible(mid * 0.25);
      b.add(`${prefix}squeeze_excite/Conv`, { op: 'conv', filters: squeeze, kernel: 1, batchNorm: false, bias: true, activation: 'relu' }, squeeze);
      b.add(`${prefix}squeeze_excite/Conv_1`, { op: 'conv', filters: mid, kernel: 1, batchNorm: false, bias: true, activation: 'none' }, mid);
      // hard_sigmoid: ReLU6(x + 3) · (1 / 6), the constant a float32 as Keras computes it.
      b.add(`${prefix}squeeze_excite/hard_sigmoid/add`, { op: 'add', scalar: 3, activation: 'relu6' });
      const gate = b.add(`${prefix}squeeze_excite/hard_sigmoid/mul`, { op: 'mul', scalar: Math.fround(1 / 6) });
      b.add(`${prefix}squeeze_excite/Mul`, { op: 'mul', input: features, with: gate });
    }
    b.conv(`${prefix}project`, filters, 1, 1, 'none');
    if (stride === 1 && inC === filters) b.add(`${prefix}Add`, { op: 'add', with: shortcut });
  });
  const lastConv = makeDivisible(b.channels * 6);
  const lastPoint = d.alpha > 1 ? makeDivisible((size === 'small' ? 1024 : 1280) * d.alpha) : size === 'small' ? 1024 : 1280;
  conv('Conv_1', lastConv, 1, 1, true);
  if (d.includeTop ?? true) {
    b.add('global_average_pooling2d', { op: 'mean', keepDims: true });
    act('Conv_2', { op: 'conv', filters: lastPoint, kernel: 1, batchNorm: false, bias: true }, true, lastPoint);
    b.add('Logits', { op: 'conv', filters: d.classes, kernel: 1, batchNorm: false, bias: true, activation: 'none' }, d.classes);
    b.add('flatten', { op: 'reshape', shape: [1, d.classes] });
    b.add('Predictions', { op: 'softmax', beta: 1 });
  }
  return { input: [1, d.resolution, d.resolution, d.channels ?? 3], layers: b.layers };
}
