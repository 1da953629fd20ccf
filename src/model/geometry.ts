/**
 * Spatial geometry of windowed ops (conv, depthwise, pooling), computed the
 * way TensorFlow Lite does, so padding and output sizes match imported models.
 */
import type { Graph, Op, Padding } from './ir.js';
import { internalError } from './errors.js';
import { opDef } from '../ops/registry.js';

/** Output extent of one spatial dimension (dilation 1). */
export function outputExtent(input: number, kernel: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.floor((input + stride - 1) / stride) : Math.floor((input - kernel + stride) / stride);
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

/** Geometry of a windowed op (its definition's `window`: conv2d, depthwise_conv2d, pooling), read from its tensors. */
export function windowGeometry(graph: Graph, op: Op): WindowGeometry {
  const win = opDef(op).window?.(op, graph);
  if (win === undefined) throw internalError(`windowGeometry: op ${op.name} (${op.kind}) has no window`);
  const x = graph.tensors[op.inputs[0]!]!;
  const y = graph.tensors[op.outputs[0]!]!;
  const [, inH, inW, inC] = x.shape as [number, number, number, number];
  const [, outH, outW, outC] = y.shape as [number, number, number, number];
  const { kH, kW, strideH, strideW, padding, depthMultiplier } = win;
  return {
    inH,
    inW,
    inC,
    outH,
    outW,
    outC,
    kH,
    kW,
    strideH,
    strideW,
    padTop: paddingBefore(inH, outH, kH, strideH, padding),
    padLeft: paddingBefore(inW, outW, kW, strideW, padding),
    depthMultiplier,
  };
}
