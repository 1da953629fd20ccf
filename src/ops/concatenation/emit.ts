import { concatGeometry, type ConcatenationOp } from './index.js';
import { badInput } from '../../model/errors.js';
import { dtypeRange } from '../../model/ir.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { cType, f32Literal, operandPointer, quantDType } from '../../codegen/ops/common.js';
import { formatKernelId, kernelDType } from '../../codegen/kernelId.js';

/**
 * Concatenation along the last axis (templates/kernels/concat.c.hbs), named by the blocks and each
 * input's channels (`concat_s8_c_64_8x16`). Whether a quantized input is copied or rescaled, and its
 * float32 scale and bias, are call arguments (the code is the same).
 */
export function emit(op: ConcatenationOp, ctx: EmitContext): OpEmission {
  const ts = op.inputs.map((id) => ctx.tensor(id));
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = quantDType(ts[0]!, op);
  if (ts.some((t) => t.dtype !== dtype) || yT.dtype !== dtype) throw badInput(`op ${op.name} (concatenation): one dtype throughout is required`);
  const { channels, outer } = concatGeometry(ts.map((t) => t.shape));
  const quant = dtype !== 'float32';
  const cq = op.concatQuant;
  if (quant && !cq) throw badInput(`op ${op.name} (concatenation) is quantized but has no parameters; run the requantize pass`);
  const kernel = formatKernelId({ op: 'concat', dtype: kernelDType(dtype), isa: 'c', shape: `${outer}_${channels.join('x')}` });
  const args: string[] = [];
  let base = 0;
  const inputs = ts.map((t, k) => {
    args.push(k === 0 ? ctx.arena(t.id, false) : operandPointer(ctx, t.id));
    if (quant) {
      const p = cq!.inputs[k]!;
      args.push(p.copy ? '0' : '1', f32Literal(p.scale), f32Literal(p.bias));
    }
    const e = { k, c: channels[k]!, base };
    base += channels[k]!;
    return e;
  });
  if (quant) args.push(String(cq!.outputZeroPoint));
  args.push(ctx.arena(yT.id, true));
  const [qmin, qmax] = quant ? dtypeRange(dtype) : [0, 0];
  return {
    family: 'concat',
    kernel,
    params: { fn: kernel, t: cType(dtype), dtype, quant, outer, total: base, inputs, qmin, qmax },
    call: `${kernel}(${args.join(', ')});`,
    macs: 0,
  };
}
