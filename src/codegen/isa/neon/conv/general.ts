/**
 * The general NEON convolution: any shape, lanes = output channels in blocks
 * of quads (8 on aarch64, 4 on armv7), every input value broadcast against
 * the block's packed weights.
 */
import type { OpEmission } from '../../../types.js';
import { convCall, convId, convParams, isAarch64, kernelName, packByTap, paddedBias, requantFlags, type ConvLayer } from './plan.js';
import type { KernelId } from '../../../kernelId.js';

export const generalId = (c: ConvLayer): KernelId => convId(c, isAarch64(c.ctx) ? 'neon' : 'neon32', undefined, requantFlags(c, false));

export function emitGeneral(c: ConvLayer): OpEmission {
  const { g, quant, dtype } = c;
  const VB = isAarch64(c.ctx) ? 8 : 4;
  const Q = Math.ceil(g.outC / 4);
  const NB = Math.floor(Math.floor(g.outC / 4) / VB);
  const ocpad = 4 * Q;
  const packed = packByTap(c, ocpad);
  const bias = paddedBias(c, ocpad);
  const kernel = kernelName(generalId(c));
  return {
    family: 'conv_neon',
    kernel,
    params: {
      ...convParams(c, kernel, quant ? 'int16_t' : 'float'),
      mode: quant ? 'int16 widened' : 'f32',
      isU8: dtype === 'uint8' ? 1 : 0,
      hasLsh: c.rq?.anyLeft ? 1 : 0,
      ocpad,
      vb: VB,
      nb: NB,
      vt: Q - NB * VB,
      blockOc: 4 * VB,
      tailValid: g.outC - NB * 4 * VB,
    },
    call: quant
      ? convCall(c, kernel, Int16Array.from(packed), Int32Array.from(bias), ocpad)
      : convCall(c, kernel, Float32Array.from(packed), Float32Array.from(bias), ocpad),
    macs: g.outH * g.outW * g.outC * g.kH * g.kW * g.inC,
  };
}
