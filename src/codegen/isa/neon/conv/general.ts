/**
 * The general NEON convolution: any shape, lanes = output channels in blocks
 * of quads (8 on aarch64, 4 on armv7), every input value broadcast against
 * the block's packed weights.
 */
import type { OpEmission } from '../../../types.js';
import { cType, floatActRange } from '../../../ops/common.js';
import { common } from '../shared.js';
import { convId, isAarch64, kernelName, packByTap, paddedBias, requantArgs, requantFlags, type ConvLayer } from './plan.js';
import type { KernelId } from '../../../kernelId.js';

export const generalId = (c: ConvLayer): KernelId => convId(c, isAarch64(c.ctx) ? 'neon' : 'neon32', undefined, requantFlags(c, false));

export function emitGeneral(c: ConvLayer): OpEmission {
  const { g, ctx, quant, dtype } = c;
  const VB = isAarch64(ctx) ? 8 : 4;
  const Q = Math.ceil(g.outC / 4);
  const NB = Math.floor(Math.floor(g.outC / 4) / VB);
  const ocpad = 4 * Q;
  const packed = packByTap(c, ocpad);
  const bias = paddedBias(c, ocpad);
  const args = [ctx.arena(c.xId, false)];
  if (quant) {
    args.push(ctx.table('nw', Int16Array.from(packed)), ctx.table('nbias', Int32Array.from(bias)));
    const q = requantArgs(c, ocpad);
    args.push(q[0]!, q[1]!, q[2]!, String(c.rq!.xZp), ...q.slice(3));
  } else {
    args.push(ctx.table('nw', Float32Array.from(packed)), ctx.table('nbias', Float32Array.from(bias)));
    args.push(...floatActRange(c.op.activation));
  }
  args.push(ctx.arena(c.yId, true));
  const kernel = kernelName(generalId(c));
  return {
    family: 'conv_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? 'int16 widened' : 'f32',
      quant,
      dtype,
      t: cType(dtype),
      w: quant ? 'int16_t' : 'float',
      b: quant ? 'int32_t' : 'float',
      isU8: dtype === 'uint8' ? 1 : 0,
      hasLsh: c.rq?.anyLeft ? 1 : 0,
      padding: c.op.padding,
      ih: g.inH, iw: g.inW, ic: g.inC, oh: g.outH, ow: g.outW, oc: g.outC,
      kh: g.kH, kw: g.kW, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft,
      ocpad, vb: VB, nb: NB, vt: Q - NB * VB, blockOc: 4 * VB, tailValid: g.outC - NB * 4 * VB,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * g.outC * g.kH * g.kW * g.inC,
  };
}
