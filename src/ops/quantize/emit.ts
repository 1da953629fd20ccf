import { dtypeRange, elementCount, type QuantizeOp } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { DTYPE_TAG, cType, f32Literal, int32Literal, perTensorQuant, quantDType, requireRequant, shapeTag } from '../../codegen/ops/common.js';

/**
 * float32 → int8/uint8 (TFLite AffineQuantize, `mobilec_quantize_f32`) or
 * int8/uint8 → int8/uint8 (TFLite Requantize with the op's one multiplier).
 */
export function emit(op: QuantizeOp, ctx: EmitContext): OpEmission {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const inType = quantDType(xT, op);
  const outType = quantDType(yT, op);
  if (outType === 'float32') throw badInput(`op ${op.name} (quantize): output must be int8 or uint8, got float32`);
  const n = elementCount(xT.shape);
  if (n !== elementCount(yT.shape)) throw badInput(`op ${op.name} (quantize): input and output sizes differ`);
  const requant = inType !== 'float32';
  const [qmin, qmax] = dtypeRange(outType);
  const y = perTensorQuant(yT, op);
  const kernel = `mobilec_${requant ? 'requantize' : 'quantize'}_${DTYPE_TAG[inType]}_${DTYPE_TAG[outType]}_generic_${shapeTag(xT.shape)}`;
  let args: string[];
  if (requant) {
    const rq = requireRequant(op);
    if (rq.multiplier.length !== 1 || rq.shift.length !== 1) throw badInput(`op ${op.name} (quantize): requantization needs one multiplier and shift`);
    args = [String(perTensorQuant(xT, op).zeroPoint), int32Literal(rq.multiplier[0]!), int32Literal(rq.shift[0]!), String(y.zeroPoint)];
  } else {
    args = [f32Literal(y.scale), String(y.zeroPoint)];
  }
  return {
    family: 'quantize',
    kernel,
    params: {
      fn: kernel,
      requant,
      tin: cType(inType),
      tout: cType(outType),
      from: inType,
      to: outType,
      n,
      qmin: String(qmin),
      qmax: String(qmax),
    },
    call: `${kernel}(${[ctx.arena(xT.id, false), ...args, ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
  };
}
