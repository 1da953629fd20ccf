/** Types and helpers shared by the reference kernels. */
import type { Activation } from '../../model/ir.js';
import type { WindowGeometry } from '../../model/geometry.js';
import { internalError } from '../../model/errors.js';
import { floatActivationRange, multiplyByQuantizedMultiplier } from '../../numerics/fixedpoint.js';
export type QuantArray = Int8Array | Uint8Array;

/**
 * Integer requantization parameters of a quantized conv / depthwise / FC.
 * `multiplier`/`shift` have one entry per output channel, or one entry for
 * the whole tensor. `filterZeroPoint` is per tensor (0 for int8 weights).
 */
export interface QuantParams {
  readonly inputZeroPoint: number;
  readonly filterZeroPoint: number;
  readonly outputZeroPoint: number;
  readonly multiplier: readonly number[];
  readonly shift: readonly number[];
  readonly actMin: number;
  readonly actMax: number;
}

/**
 * `data[i] - zeroPoint`, computed once per op so inner loops only multiply.
 * Held as doubles (exact: |value| ≤ 510), the element type float data is
 * widened to as well (see `widen`), so a loop shared by the float and the
 * quantized variant of an op only ever sees one array type: V8 then keeps
 * its element loads monomorphic, which the conv loops are sensitive to.
 */
export function offsetCopy(data: QuantArray, zeroPoint: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! - zeroPoint;
  return out;
}

/** float32 or integer data as doubles (exact), for the loops shared with `offsetCopy` data. */
export function widen(data: Float32Array | QuantArray): Float64Array {
  return new Float64Array(data);
}

/** Expand a per-tensor (length 1) or per-channel array to one entry per channel. */
export function perChannel(values: readonly number[], channels: number, what: string): Int32Array {
  const out = new Int32Array(channels);
  if (values.length === 1) {
    out.fill(values[0]!);
  } else if (values.length === channels) {
    for (let c = 0; c < channels; c++) out[c] = values[c]!;
  } else {
    throw internalError(`${what}: expected 1 or ${channels} entries, got ${values.length}`);
  }
  return out;
}

/** `v` limited to [lo, hi]. Written as compares, not Math.min/max, so NaN passes through unchanged. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** The elementwise kernels' loop: out[i] = clamp(value(i), lo, hi) for i < n. */
export function mapClamped<T extends Float32Array | QuantArray>(n: number, lo: number, hi: number, out: T, value: (i: number) => number): T {
  for (let i = 0; i < n; i++) out[i] = clamp(value(i), lo, hi);
  return out;
}

// ---------------------------------------------------------------------------
// Windowed kernels (conv2d, depthwise_conv2d, pooling)

/** Batch size of a windowed op: its NHWC input holds batch · inH · inW · inC values. */
export function windowBatch(inputLength: number, g: WindowGeometry): number {
  return Math.round(inputLength / (g.inH * g.inW * g.inC));
}

/** A zeroed float output for a windowed op (the float kernels' default `out`). */
export function windowOutput(inputLength: number, g: WindowGeometry): Float32Array {
  return new Float32Array(windowBatch(inputLength, g) * g.outH * g.outW * g.outC);
}

/**
 * The arithmetic of one windowed kernel, driven by forEachWindow. For each
 * output pixel: `begin`, then `tap` once per window position inside the input,
 * then `end`. Positions in the padding are never visited: they contribute
 * nothing (conv: the input zero point times a weight is 0 after the offset;
 * pooling: TFLite pools over in-bounds taps only).
 */
export interface WindowVisitor {
  /** Starts an output pixel: reset the per-channel accumulators. */
  readonly begin: () => void;
  /** Accumulates filter position t = ky·kW + kx, whose input channels start at x[xi]. */
  readonly tap: (xi: number, t: number) => void;
  /** Writes the pixel whose outC outputs start at out[outBase]; `taps` positions were accumulated. */
  readonly end: (outBase: number, taps: number) => void;
}

/**
 * Walks every output pixel of a windowed op in NHWC order, clipping its
 * kH×kW window to the input. The hooks are called per pixel and per tap, not
 * per multiply-add, so the indirection costs little next to the channel loops.
 */
export function forEachWindow(g: WindowGeometry, batch: number, visitor: WindowVisitor): void {
  const { inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const { begin, tap, end } = visitor;
  let outBase = 0;
  for (let b = 0; b < batch; b++) {
    const xBatch = b * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      // Input row of window row 0 (negative in the top padding); rows ky0..ky1-1 are inside.
      const iy0 = oy * strideH - padTop;
      const ky0 = Math.max(0, -iy0);
      const ky1 = Math.min(kH, inH - iy0);
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * strideW - padLeft;
        const kx0 = Math.max(0, -ix0);
        const kx1 = Math.min(kW, inW - ix0);
        begin();
        for (let ky = ky0; ky < ky1; ky++) {
          for (let kx = kx0; kx < kx1; kx++) tap(xBatch + ((iy0 + ky) * inW + (ix0 + kx)) * inC, ky * kW + kx);
        }
        end(outBase, Math.max(0, ky1 - ky0) * Math.max(0, kx1 - kx0));
        outBase += outC;
      }
    }
  }
}

/**
 * The accumulators of a conv-like kernel (one per output channel) and how
 * they become outputs: the float and quantized variants of an op differ only
 * in this begin/end pair.
 */
interface Accumulator {
  readonly acc: Float64Array;
  readonly begin: () => void;
  readonly end: (outBase: number) => void;
}

/**
 * Float conv / depthwise: the sum starts at the bias and runs in double (as
 * the JS numbers it is), then is clamped to the activation range and stored
 * as float32.
 */
function floatAccumulator(outC: number, bias: Float32Array | undefined, activation: Activation, out: Float32Array): Accumulator {
  const [lo, hi] = floatActivationRange(activation);
  const acc = new Float64Array(outC);
  return {
    acc,
    begin: () => {
      if (bias !== undefined) for (let c = 0; c < outC; c++) acc[c] = bias[c]!;
      else acc.fill(0);
    },
    end: (outBase) => {
      for (let c = 0; c < outC; c++) out[outBase + c] = clamp(acc[c]!, lo, hi);
    },
  };
}

/**
 * Quantized conv / depthwise (TFLite integer kernels): Σ (x − xZp)(w − wZp)
 * is exact in double, the bias is added after the sum, then the int32 total
 * is requantized per channel, offset by the output zero point and clamped.
 */
function quantAccumulator(outC: number, bias: Int32Array | undefined, q: QuantParams, what: string, out: QuantArray): Accumulator {
  const mult = perChannel(q.multiplier, outC, `${what} multiplier`);
  const shift = perChannel(q.shift, outC, `${what} shift`);
  const { outputZeroPoint: yZp, actMin, actMax } = q;
  const acc = new Float64Array(outC);
  return {
    acc,
    begin: () => acc.fill(0),
    end: (outBase) => {
      for (let c = 0; c < outC; c++) {
        const a = bias !== undefined ? acc[c]! + bias[c]! : acc[c]!;
        out[outBase + c] = clamp(multiplyByQuantizedMultiplier(a | 0, mult[c]!, shift[c]!) + yZp, actMin, actMax);
      }
    },
  };
}

/**
 * What distinguishes conv2d from depthwise_conv2d: adding one in-bounds tap
 * (filter position t = ky·kW + kx, input channels at x[xi]) into the
 * per-output-channel accumulators. It must add each channel's products in
 * ascending input-channel order: taps arrive in (ky, kx) order after the
 * bias, and the float result depends on that order. Written as a plain
 * function of its arrays (not a closure over them) so they are locals in
 * the hot loop, which V8 optimizes noticeably better.
 */
export type ConvTap = (acc: Float64Array, x: Float64Array, w: Float64Array, xi: number, t: number, g: WindowGeometry) => void;

function convLike(tap: ConvTap, x: Float64Array, w: Float64Array, g: WindowGeometry, a: Accumulator): void {
  const { acc } = a;
  forEachWindow(g, windowBatch(x.length, g), {
    begin: a.begin,
    tap: (xi, t) => tap(acc, x, w, xi, t, g),
    end: a.end,
  });
}

/** A float conv-like kernel (NHWC in and out); `out` defaults to a fresh array. */
export type FloatConvKernel = (
  x: Float32Array,
  filter: Float32Array,
  bias: Float32Array | undefined,
  g: WindowGeometry,
  activation: Activation,
  out?: Float32Array,
) => Float32Array;

/** A quantized (int8/uint8) conv-like kernel. */
export type QuantConvKernel = (
  x: QuantArray,
  filter: QuantArray,
  bias: Int32Array | undefined,
  g: WindowGeometry,
  q: QuantParams,
  out: QuantArray,
) => QuantArray;

export function floatConvKernel(tap: ConvTap): FloatConvKernel {
  return (x, filter, bias, g, activation, out = windowOutput(x.length, g)) => {
    convLike(tap, widen(x), widen(filter), g, floatAccumulator(g.outC, bias, activation, out));
    return out;
  };
}

/** `name` labels the errors of the quantized kernel. */
export function quantConvKernel(tap: ConvTap, name: string): QuantConvKernel {
  return (x, filter, bias, g, q, out) => {
    const xs = offsetCopy(x, q.inputZeroPoint);
    const ws = offsetCopy(filter, q.filterZeroPoint);
    convLike(tap, xs, ws, g, quantAccumulator(g.outC, bias, q, name, out));
    return out;
  };
}
