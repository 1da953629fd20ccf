/**
 * What the weighted ops (conv2d, depthwise_conv2d, fully_connected) share:
 * inputs [x, weights, bias?], per-channel weight quantization, the
 * per-channel requantization of the accumulator, and (conv-like) the window.
 */
import type { Activation, Padding, Tensor, TensorData } from '../../model/ir.js';
import type { FloatConvKernel, QuantConvKernel, QuantArray } from '../../reference/kernels/common.js';
import { badInput } from '../../model/errors.js';
import { activationRange, quantizeMultiplier } from '../../numerics/fixedpoint.js';
import type { AnyOp, OpWindow, QuantizeContext, RequantizeContext, RunContext, TfliteContext, ValidateContext } from '../types.js';

export interface ConvLikeOp extends AnyOp {
  readonly strideH: number;
  readonly strideW: number;
  readonly padding: Padding;
  readonly activation: Activation;
}

/** Bias shape [channels] when present. */
export function validateBias(v: ValidateContext, channels: number): void {
  const b = v.constant(2, 'bias', v.biasDtypes);
  if (b) v.expectShape(b, [channels], 'bias');
}

/** 4-D input and filter; `channels` checks the filter [O, KH, KW, I] against the input and gives the output channels. */
export function validateConvLike(op: ConvLikeOp, v: ValidateContext, channels: (f: Tensor, o: number, i: number) => number): void {
  v.need4d(v.x, 'input');
  const f = v.constant(1, 'filter', v.weightDtypes)!;
  v.need4d(f, 'filter');
  const [o, kh, kw, i] = f.shape as [number, number, number, number];
  const c = channels(f, o, i);
  validateBias(v, c);
  v.window(kh, kw, op.strideH, op.strideW, op.padding, c);
}

/**
 * Conv2DOptions / DepthwiseConv2DOptions (a missing table reads as defaults, as in TFLite), strides and
 * dilation checked. Field slots: padding, stride_w, stride_h, [depth_multiplier,] activation, dilation_w, dilation_h.
 */
export function convOptions(t: TfliteContext, depthwise: boolean) {
  t.arity(2, 3);
  const o = t.options();
  const d = depthwise ? 1 : 0;
  const r = {
    padding: o?.i8(0, 'padding') ?? 0,
    strideW: o?.i32(1, 'stride_w') ?? 0,
    strideH: o?.i32(2, 'stride_h') ?? 0,
    activation: o?.i8(3 + d, 'fused_activation_function') ?? 0,
    dilationW: o?.i32(4 + d, 'dilation_w_factor', 1) ?? 1,
    dilationH: o?.i32(5 + d, 'dilation_h_factor', 1) ?? 1,
  };
  if (depthwise) o?.i32(3, 'depth_multiplier'); // read (so a corrupt field fails) but not used: the shapes decide
  t.strides(r.strideH, r.strideW);
  t.dilation(r.dilationH, r.dilationW);
  return r;
}

/** The filter [O, KH, KW, I] as a window. */
export function filterWindow(op: ConvLikeOp, graph: { tensors: readonly Tensor[] }, depthMultiplier: number): OpWindow {
  const f = graph.tensors[op.inputs[1]!]!;
  return { kH: f.shape[1]!, kW: f.shape[2]!, strideH: op.strideH, strideW: op.strideW, padding: op.padding, depthMultiplier };
}

/** Per-channel symmetric int8 weights along `axis`, int32 bias, output from its calibrated range. */
export function quantizeWeighted(op: AnyOp, q: QuantizeContext, axis: number): void {
  const scales = q.quantizeWeights(op.inputs[1]!, axis);
  const bId = op.inputs[2];
  if (bId !== undefined && bId >= 0) q.quantizeBias(bId, scales);
  q.setAct(op.outputs[0]!, q.rangeQuant(op.outputs[0]!));
}

/**
 * Per-channel multiplier + shift of sIn·sW[c]/sOut and the fused activation's
 * clamp. TFLite forms sIn·sW in float32 for FC and for uint8 (legacy) inputs.
 */
export function requantizeWeighted<O extends AnyOp & { activation: Activation }>(op: O, r: RequantizeContext, fullyConnected: boolean): O {
  const w = r.graph.tensors[op.inputs[1]!]!;
  const sIn = r.scaleOf(r.x);
  const sOut = r.scaleOf(r.y);
  const wScales = w.quant?.scale;
  if (!wScales) r.scaleOf(w); // throws: the weights have no quantization
  const floatProduct = fullyConnected || r.x.dtype === 'uint8';
  const multiplier: number[] = [];
  const shift: number[] = [];
  for (const sW of wScales!) {
    const real = floatProduct ? Math.fround(sIn * sW) / sOut : (sIn * sW) / sOut;
    const m = quantizeMultiplier(real);
    multiplier.push(m.multiplier);
    shift.push(m.shift);
  }
  const [actMin, actMax] = activationRange(op.activation, sOut, r.y.quant!.zeroPoint[0]!, r.dtype);
  checkAccumulatorBound(op, r, fullyConnected || op.kind === 'conv2d' ? 0 : 3);
  return { ...op, requant: { multiplier, shift, actMin, actMax } };
}

/** The largest int32 value: an accumulator bound above it can overflow. */
const INT32_MAX = 2 ** 31 - 1;

/**
 * Refuses a layer whose int32 accumulator can overflow for some input:
 * per output channel, |bias| + Σ|w − w_zp| · max|x − x_zp| over the dtype's
 * input range must stay within int32. TFLite accumulates in int32 with no
 * check (its result is undefined there), and a wider accumulator would not
 * be bit-exact with it. `axis` is the filter's output-channel axis (0 for
 * conv / FC [O, ...], 3 for depthwise [1, KH, KW, O]).
 */
function checkAccumulatorBound(op: AnyOp, r: RequantizeContext, axis: number): void {
  const w = r.graph.tensors[op.inputs[1]!]!;
  const data = w.data;
  if (!data || !w.quant) return;
  const xZp = r.x.quant?.zeroPoint[0] ?? 0;
  const [lo, hi] = r.dtype === 'int8' ? [-128, 127] : [0, 255];
  const span = Math.max(xZp - lo, hi - xZp);
  const channels = w.shape[axis]!;
  const inner = axis === 0 ? data.length / channels : 1;
  const stride = axis === 0 ? 1 : channels;
  const taps = data.length / channels;
  const bId = op.inputs[2];
  const bias = bId !== undefined && bId >= 0 ? r.graph.tensors[bId]!.data : undefined;
  for (let c = 0; c < channels; c++) {
    const wZp = w.quant.zeroPoint[w.quant.zeroPoint.length > 1 ? c : 0] ?? 0;
    let sum = 0;
    for (let k = 0; k < taps; k++) sum += Math.abs(Number(data[axis === 0 ? c * inner + k : k * stride + c]!) - wZp);
    const b = bias ? Math.abs(Number(bias[c]!)) : 0;
    const bound = b + sum * span;
    if (bound > INT32_MAX) {
      throw badInput(
        `op ${op.name} (${op.kind}): output channel ${c}'s int32 accumulator can reach ${bound} (|bias| ${b} + Σ|w − w_zp| ${sum} × max|x − x_zp| ${span}) for some input, above 2^31 − 1 = ${INT32_MAX}; TFLite's int32 arithmetic overflows there too. Supported: layers whose accumulator bound fits int32`,
      );
    }
  }
}

/** Runs a conv-like reference kernel pair (float / quantized). */
export function runConvLike(op: ConvLikeOp, k: RunContext, floatFn: FloatConvKernel, quantFn: QuantConvKernel): TensorData {
  const g = k.window();
  const f = k.read(1);
  if (k.quantized) {
    const bias = k.optional(2, Int32Array, 'bias');
    return quantFn(k.quantData(k.x, 'input'), k.quantData(f, 'filter'), bias, g, k.quantParams(), k.out as QuantArray);
  }
  const bias = k.optional(2, Float32Array, 'bias');
  return floatFn(k.expect(k.x, Float32Array, 'input'), k.expect(f, Float32Array, 'filter'), bias, g, op.activation, k.out as Float32Array);
}
