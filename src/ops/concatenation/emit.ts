import { concatGeometry, type ConcatenationOp } from './index.js';
import { badInput } from '../../model/errors.js';
import { dtypeRange } from '../../model/ir.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { cType, operandPointer, quantDType } from '../../codegen/ops/common.js';
import { rescaleTable } from './reference.js';
import { formatKernelId, kernelDType } from '../../codegen/kernelId.js';

/**
 * Concatenation along the last axis (templates/kernels/concat.c.hbs), named by the blocks and each
 * input's channels (`concat_s8_c_64_8x16`). A quantized input quantized like the output is copied
 * (table argument 0); another is rescaled through a 256-entry table of TFLite's float32 rescale of
 * every 8-bit value (reference.ts rescaleTable, a layer table `concat_rq<k>`): exact by construction.
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
      const table = rescaleTable(p.scale, p.bias, cq!.outputZeroPoint, dtypeRange(dtype));
      args.push(p.copy ? '0' : ctx.table(`concat_rq${k}`, dtype === 'int8' ? Int8Array.from(table) : Uint8Array.from(table)));
    }
    const e = { k, c: channels[k]!, base };
    base += channels[k]!;
    return e;
  });
  args.push(ctx.arena(yT.id, true));
  return {
    family: 'concat',
    kernel,
    params: { fn: kernel, t: cType(dtype), dtype, quant, outer, total: base, inputs },
    call: `${kernel}(${args.join(', ')});`,
    macs: 0,
  };
}
