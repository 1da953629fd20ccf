import { elementCount, type DequantizeOp } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { DTYPE_TAG, cType, f32Literal, perTensorQuant, quantDType, shapeTag } from '../../codegen/ops/common.js';

/** int8/uint8 → float32: fround(scale · (q − zp)); the product of a float32 and a small integer is exact, so float arithmetic rounds once, as TFLite's double. */
export function emit(op: DequantizeOp, ctx: EmitContext): OpEmission {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const inType = quantDType(xT, op);
  if (inType === 'float32' || yT.dtype !== 'float32') {
    throw badInput(`op ${op.name} (dequantize): needs an int8/uint8 input and a float32 output, got ${xT.dtype} -> ${yT.dtype}`);
  }
  const n = elementCount(xT.shape);
  if (n !== elementCount(yT.shape)) throw badInput(`op ${op.name} (dequantize): input and output sizes differ`);
  const x = perTensorQuant(xT, op);
  const kernel = `mobilec_dequantize_${DTYPE_TAG[inType]}_f32_generic_${shapeTag(xT.shape)}`;
  return {
    family: 'dequantize',
    kernel,
    params: { fn: kernel, t: cType(inType), dtype: inType, n },
    call: `${kernel}(${[ctx.arena(xT.id, false), f32Literal(x.scale), String(x.zeroPoint), ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
  };
}
