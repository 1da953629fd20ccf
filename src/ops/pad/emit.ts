import { elementCount, type PadOp } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import { pad4d } from './reference.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { cType, quantDType, zeroPoint } from '../../codegen/ops/common.js';
import { formatKernelId, kernelDType } from '../../codegen/kernelId.js';

/** Constant pad (up to 4-D, as 4-D): quantized pads with the output zero point, float with 0. */
export function emit(op: PadOp, ctx: EmitContext): OpEmission {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = quantDType(xT, op);
  if (yT.dtype !== dtype) throw badInput(`op ${op.name}: pad from ${xT.dtype} to ${yT.dtype} is not supported`);
  if (xT.shape.length > 4 || op.paddings.length !== xT.shape.length) {
    throw badInput(`op ${op.name}: pad needs one [before, after] pair per dimension of a tensor of up to 4 dimensions`);
  }
  const { inShape, before, after } = pad4d(xT.shape, op.paddings);
  const outShape = inShape.map((d, i) => d + before[i]! + after[i]!);
  if (elementCount(outShape) !== elementCount(yT.shape)) {
    throw badInput(`op ${op.name}: output ${yT.shape.join('x')} does not match the padded input`);
  }
  const quant = dtype !== 'float32';
  const kernel = formatKernelId({ op: 'pad', dtype: kernelDType(dtype), isa: 'c', shape: `${inShape.join('x')}_${before.join('x')}_${after.join('x')}` });
  const padValue = quant ? String(zeroPoint(yT)) : '0.0f';
  return {
    family: 'pad',
    kernel,
    params: {
      fn: kernel,
      t: cType(dtype),
      dtype,
      n: inShape[0],
      h: inShape[1],
      w: inShape[2],
      c: inShape[3],
      b0: before[0],
      b1: before[1],
      b2: before[2],
      b3: before[3],
      on: outShape[0],
      oh: outShape[1],
      ow: outShape[2],
      oc: outShape[3],
      rowElements: outShape[2]! * outShape[3]!,
      inRowElements: inShape[2]! * inShape[3]!,
      leftElements: before[2]! * outShape[3]!,
      // No channel padding: an input row is one contiguous span of its output row.
      denseRows: before[3] === 0 && after[3] === 0,
    },
    call: `${kernel}(${[ctx.arena(xT.id, false), padValue, ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
  };
}
