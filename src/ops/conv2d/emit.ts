import type { Conv2DOp, DepthwiseConv2DOp } from '../../model/ir.js';
import { windowGeometry } from '../../model/geometry.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { weightedTypeParams } from '../shared/emit.js';
import { biasSymbol, quantDType, weightOperand, weightedKernelArgs, windowParams } from '../../codegen/ops/common.js';
import { formatKernelId, kernelDType } from '../../codegen/kernelId.js';

/** Shared by conv2d and depthwise_conv2d: operands and the argument list. */
export function convLike(op: Conv2DOp | DepthwiseConv2DOp, ctx: EmitContext, family: 'conv' | 'dwconv'): OpEmission {
  const g = windowGeometry(ctx.graph, op);
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = quantDType(xT, op);
  const quant = dtype !== 'float32';
  const w = weightOperand(op, ctx, dtype);
  const bias = biasSymbol(op, ctx, g.outC, quant);
  const dm = family === 'dwconv' ? g.depthMultiplier : 1;
  const kernel = formatKernelId({
    op: family === 'conv' ? 'conv' : 'dw',
    dtype: kernelDType(dtype),
    isa: 'c',
    flags: { ...(w.hasWZp ? { wzp: true } : {}), ...(dm !== 1 ? { dm } : {}) },
    window: { kH: g.kH, kW: g.kW, sH: g.strideH, sW: g.strideW, padding: op.padding },
    shape: `${g.inH}x${g.inW}x${g.inC}` + (family === 'conv' ? `_${g.outC}` : ''),
  });
  const args = weightedKernelArgs(op, ctx, xT, yT, w, bias, g.outC, quant);
  const macs = g.outH * g.outW * g.outC * g.kH * g.kW * (family === 'conv' ? g.inC : 1);
  return {
    family,
    kernel,
    params: {
      fn: kernel,
      ...weightedTypeParams(dtype, w),
      padding: op.padding,
      ...windowParams(g),
      dm,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs,
    // The generic kernels walk output pixels in row-major order.
    streaming: { pixelBlock: 1 },
  };
}

export function emit(op: Conv2DOp, ctx: EmitContext): OpEmission {
  return convLike(op, ctx, 'conv');
}
