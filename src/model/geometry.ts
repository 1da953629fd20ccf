/**
 * Spatial geometry of windowed ops (conv, depthwise, pooling), computed the
 * way TensorFlow Lite does, so padding and output sizes match imported models.
 */
import type { Graph, Op, Padding } from './ir.js';
import { internalError } from './errors.js';

/** Output extent of one spatial dimension (dilation 1). */
export function outputExtent(input: number, kernel: number, stride: number, padding: Padding): number {
  return padding === 'same'
    ? Math.floor((input + stride - 1) / stride)
    : Math.floor((input - kernel + stride) / stride);
}

/** Padding before the first element: TFLite puts the odd pixel at the end. */
export function paddingBefore(input: number, output: number, kernel: number, stride: number, padding: Padding): number {
  if (padding === 'valid') return 0;
  const total = Math.max((output - 1) * stride + kernel - input, 0);
  return Math.floor(total / 2);
}

export interface WindowGeometry {
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly outH: number;
  readonly outW: number;
  readonly outC: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padLeft: number;
  /** Output channels per input channel (depthwise); 1 otherwise. */
  readonly depthMultiplier: number;
}

/** Geometry of a conv2d / depthwise_conv2d / pool op, read from its tensors. */
export function windowGeometry(graph: Graph, op: Op): WindowGeometry {
  const x = graph.tensors[op.inputs[0]!]!;
  const y = graph.tensors[op.outputs[0]!]!;
  const [, inH, inW, inC] = x.shape as [number, number, number, number];
  const [, outH, outW, outC] = y.shape as [number, number, number, number];
  let kH: number, kW: number, depthMultiplier = 1;
  switch (op.kind) {
    case 'conv2d':
    case 'depthwise_conv2d': {
      const f = graph.tensors[op.inputs[1]!]!;
      kH = f.shape[1]!;
      kW = f.shape[2]!;
      if (op.kind === 'depthwise_conv2d') depthMultiplier = op.depthMultiplier;
      break;
    }
    case 'average_pool2d':
    case 'max_pool2d':
      kH = op.filterH;
      kW = op.filterW;
      break;
    default:
      throw internalError(`windowGeometry: op ${op.name} (${op.kind}) has no window`);
  }
  return {
    inH, inW, inC, outH, outW, outC, kH, kW,
    strideH: op.strideH,
    strideW: op.strideW,
    padTop: paddingBefore(inH, outH, kH, op.strideH, op.padding),
    padLeft: paddingBefore(inW, outW, kW, op.strideW, op.padding),
    depthMultiplier,
  };
}
