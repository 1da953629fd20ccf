/** Average pooling on NEON. */
import type { Pool2DOp } from '../../../model/ir.js';
import { type WindowGeometry } from '../../../model/geometry.js';
import type { EmitContext, OpEmission } from '../../types.js';
import { DTYPE_TAG, cType, floatActRange, quantActRange, strideTag } from '../../ops/common.js';
import { common, actDType } from './shared.js';

// ---------------------------------------------------------------- average pool

export function selectAvgPool(op: Pool2DOp, ctx: EmitContext, g: WindowGeometry): OpEmission | null {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const range = quant ? quantActRange(op, dtype) : floatActRange(op.activation);
  const kernel = `mobilec_avgpool_${g.kH}x${g.kW}${strideTag(g.strideH, g.strideW)}_${op.padding}_${DTYPE_TAG[dtype]}_neon_${g.inH}x${g.inW}x${g.inC}`;
  return {
    family: 'avgpool_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? 'int32 sums' : 'f32',
      quant,
      dtype,
      t: cType(dtype),
      isU8: dtype === 'uint8' ? 1 : 0,
      padding: op.padding,
      ih: g.inH, iw: g.inW, c: g.inC, oh: g.outH, ow: g.outW,
      kh: g.kH, kw: g.kW, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft,
      cb: quant ? 8 : 4,
      tailC: g.inC % (quant ? 8 : 4),
    },
    call: `${kernel}(${[ctx.arena(xT.id, false), ...range, ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
  };
}
