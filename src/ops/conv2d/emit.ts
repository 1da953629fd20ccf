import type { Conv2DOp, DepthwiseConv2DOp } from '../../model/ir.js';
import { windowGeometry } from '../../model/geometry.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { weightedTypeParams } from '../shared/emit.js';
import { DTYPE_TAG, biasSymbol, quantDType, strideTag, weightOperand, weightedKernelArgs } from '../../codegen/ops/common.js';

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
  const kernel =
    `mobilec_${family}_${g.kH}x${g.kW}${strideTag(g.strideH, g.strideW)}_${op.padding}_${DTYPE_TAG[dtype]}` +
    `${w.hasWZp && dtype === 'int8' ? '_wzp' : ''}_${ctx.variant === 'simd' ? 'generic' : ctx.variant}` +
    `_${g.inH}x${g.inW}x${g.inC}` +
    (family === 'conv' ? `_${g.outC}` : dm !== 1 ? `_dm${dm}` : '');
  const args = weightedKernelArgs(op, ctx, xT, yT, w, bias, g.outC, quant);
  const macs = g.outH * g.outW * g.outC * g.kH * g.kW * (family === 'conv' ? g.inC : 1);
  return {
    family,
    kernel,
    params: {
      fn: kernel,
      ...weightedTypeParams(dtype, w),
      padding: op.padding,
      ih: g.inH, iw: g.inW, ic: g.inC,
      oh: g.outH, ow: g.outW, oc: g.outC,
      kh: g.kH, kw: g.kW, sh: g.strideH, sw: g.strideW,
      pt: g.padTop, pl: g.padLeft, dm,
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
