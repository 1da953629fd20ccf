import type { Pool2DOp } from '../../model/ir.js';
import { windowGeometry } from '../../model/geometry.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { cType, floatActRange, quantActRange, quantDType, windowParams } from '../../codegen/ops/common.js';
import { formatKernelId, kernelDType } from '../../codegen/kernelId.js';

export function emit(op: Pool2DOp, ctx: EmitContext): OpEmission {
  const g = windowGeometry(ctx.graph, op);
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = quantDType(xT, op);
  const quant = dtype !== 'float32';
  const isMax = op.kind === 'max_pool2d';
  const tag = isMax ? 'maxpool' : 'avgpool';
  const kernel = formatKernelId({
    op: tag,
    dtype: kernelDType(dtype),
    isa: 'c',
    window: { kH: g.kH, kW: g.kW, sH: g.strideH, sW: g.strideW, padding: op.padding },
    shape: `${g.inH}x${g.inW}x${g.inC}`,
  });
  const range = quant ? quantActRange(op, dtype) : floatActRange(op.activation);
  return {
    family: 'pool',
    kernel,
    params: {
      fn: kernel,
      kind: op.kind,
      t: cType(dtype),
      acc: quant ? 'int32_t' : 'float',
      accInit: quant ? (dtype === 'int8' ? '-128' : '0') : '-FLT_MAX',
      quant,
      isMax,
      dtype,
      padding: op.padding,
      ...windowParams(g),
    },
    call: `${kernel}(${[ctx.arena(xT.id, false), ...range, ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
    // The generic kernel walks output pixels in row-major order.
    streaming: { pixelBlock: 1 },
  };
}
