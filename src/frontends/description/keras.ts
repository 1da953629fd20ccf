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
