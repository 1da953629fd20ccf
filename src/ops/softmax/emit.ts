import { elementCount, type SoftmaxOp } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { cType, int32Literal, quantDType } from '../../codegen/ops/common.js';
import { formatKernelId, kernelDType } from '../../codegen/kernelId.js';
import { expOnNegativeValues, multiplyByQuantizedMultiplierGreaterThanOne, SOFTMAX_SCALED_DIFF_INTEGER_BITS } from '../../numerics/fixedpoint.js';

/**
 * Rows of at least this many values read exp from a table: an 8-bit difference to the row maximum
 * takes at most 256 values, so TFLite's fixed-point exp of each is computed here once (4 bytes of
 * flash per entry) instead of per value at run time (about 300 instructions each on a Cortex-M).
 */
export const SOFTMAX_TABLE_MIN_DEPTH = 64;

/** E[d] = exp(scaled(-d)) for the differences d = max - x that pass diff_min (0 <= d < length), or null for none. */
export function softmaxExpTable(inputMultiplier: number, inputLeftShift: number, diffMin: number): Int32Array | null {
  const n = Math.min(256, Math.floor(-diffMin) + 1);
  if (!(n > 0)) return null;
  return Int32Array.from({ length: n }, (_, d) =>
    expOnNegativeValues(multiplyByQuantizedMultiplierGreaterThanOne(-d, inputMultiplier, inputLeftShift), SOFTMAX_SCALED_DIFF_INTEGER_BITS),
  );
}

function floatLiteral(v: number): string {
  const s = String(Math.fround(v));
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
}

export function emit(op: SoftmaxOp, ctx: EmitContext): OpEmission {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = quantDType(xT, op);
  if (yT.dtype !== dtype) throw badInput(`op ${op.name}: softmax from ${xT.dtype} to ${yT.dtype} is not supported`);
  const quant = dtype !== 'float32';
  const depth = xT.shape[xT.shape.length - 1]!;
  const outer = elementCount(xT.shape) / depth;
  let args: string[];
  let table: Int32Array | null = null;
  if (quant) {
    const sq = op.softmaxQuant;
    if (!sq) throw badInput(`op ${op.name} (softmax) is quantized but has no softmax parameters; run the requantize pass`);
    table = depth >= SOFTMAX_TABLE_MIN_DEPTH ? softmaxExpTable(sq.inputMultiplier, sq.inputLeftShift, sq.diffMin) : null;
    args = table ? [ctx.table('sexptab', table)] : [int32Literal(sq.inputMultiplier), int32Literal(sq.inputLeftShift), int32Literal(sq.diffMin)];
  } else {
    args = [floatLiteral(op.beta)];
  }
  const kernel = formatKernelId({ op: 'softmax', dtype: kernelDType(dtype), isa: 'c', flags: table ? { exptab: true } : {}, shape: `${outer}x${depth}` });
  return {
    family: 'softmax',
    kernel,
    params: {
      fn: kernel,
      t: cType(dtype),
      quant,
      dtype,
      depth,
      outer,
      table: table !== null,
      entries: table?.length ?? 0,
      tmin: dtype === 'int8' ? '-128' : '0',
      tmax: dtype === 'int8' ? '127' : '255',
    },
    call: `${kernel}(${[ctx.arena(xT.id, false), ...args, ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
  };
}
