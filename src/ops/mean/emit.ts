import type { MeanOp } from './index.js';
import { badInput } from '../../model/errors.js';
import { dtypeRange } from '../../model/ir.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { cType, f32Literal, int32Literal, quantDType } from '../../codegen/ops/common.js';
import { formatKernelId, kernelDType, type KernelIsa } from '../../codegen/kernelId.js';

/** Mean over H x W per batch and channel; the quantized path (MeanQuant) picks the kernel, its parameters are call arguments. */
export function emit(op: MeanOp, ctx: EmitContext): OpEmission {
  return meanEmission(op, ctx, 'c');
}

/** The mean emission under the kernel name of `isa` (the SIMD variants reuse its path, parameters and call: src/codegen/isa/pooling.ts). */
export function meanEmission(op: MeanOp, ctx: EmitContext, isa: KernelIsa): OpEmission {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = quantDType(xT, op);
  const [batch, h, w, c] = xT.shape as [number, number, number, number];
  const hw = h * w;
  const mq = op.meanQuant;
  if (dtype !== 'float32' && !mq) throw badInput(`op ${op.name} (mean) is quantized but has no mean parameters; run the requantize pass`);
  const path = dtype === 'float32' ? 'float32' : mq!.path;
  const flags = path === 'average' ? { avg: true as const } : path === 'float' ? { fscale: true as const } : {};
  const kernel = formatKernelId({ op: 'mean', dtype: kernelDType(dtype), isa, flags, shape: `${batch}x${h}x${w}x${c}` });
  let args: string[] = [];
  if (path === 'direct') args = [mq!.inputZeroPoint, mq!.multiplier, mq!.shift, mq!.offset].map(int32Literal);
  if (path === 'float') args = [f32Literal(mq!.scale), f32Literal(mq!.bias), int32Literal(mq!.offset)];
  const divide = path === 'direct' && mq!.divisor > 1;
  const [qmin, qmax] = dtype === 'float32' ? [0, 0] : dtypeRange(dtype);
  return {
    family: 'mean',
    kernel,
    params: {
      fn: kernel,
      t: cType(dtype),
      dtype,
      batch,
      hw,
      c,
      half: Math.floor(hw / 2),
      qmin,
      qmax,
      direct: path === 'direct',
      divide,
      average: path === 'average',
      fscale: path === 'float',
      float: path === 'float32',
    },
    call: `${kernel}(${[ctx.arena(xT.id, false), ...args, ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
  };
}
