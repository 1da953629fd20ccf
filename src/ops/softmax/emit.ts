import { elementCount, type SoftmaxOp } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { DTYPE_TAG, cType, int32Literal, quantDType } from '../../codegen/ops/common.js';

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
  const kernel = `mobilec_softmax_${DTYPE_TAG[dtype]}_generic_${outer}x${depth}`;
  let args: string[];
  if (quant) {
    const sq = op.softmaxQuant;
    if (!sq) throw badInput(`op ${op.name} (softmax) is quantized but has no softmax parameters; run the requantize pass`);
    args = [int32Literal(sq.inputMultiplier), int32Literal(sq.inputLeftShift), int32Literal(sq.diffMin)];
  } else {
    args = [floatLiteral(op.beta)];
  }
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
      tmin: dtype === 'int8' ? '-128' : '0',
      tmax: dtype === 'int8' ? '127' : '255',
    },
    call: `${kernel}(${[ctx.arena(xT.id, false), ...args, ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
  };
}
