/**
 * conv2d reference kernels. NHWC input, filter [O, KH, KW, I], output NHWC.
 * Padding taps contribute nothing; the batch is input.length / (inH·inW·inC).
 * The window walk and the float / quantized output stages live in common.ts.
 */
import type { WindowGeometry } from '../../model/geometry.js';
import { floatConvKernel, quantConvKernel } from '../../reference/kernels/common.js';

/** acc[oc] += Σ_ic x[xi + ic] · w[oc, t, ic] for every output channel oc. */
function conv2dTap(acc: Float64Array, x: Float64Array, w: Float64Array, xi: number, t: number, g: WindowGeometry): void {
  const inC = g.inC;
  const wPerOut = g.kH * g.kW * inC;
  for (let oc = 0; oc < acc.length; oc++) {
    const wi = oc * wPerOut + t * inC;
    let sum = acc[oc]!;
    for (let ic = 0; ic < inC; ic++) sum += x[xi + ic]! * w[wi + ic]!;
    acc[oc] = sum;
  }
}

export const conv2dFloat = floatConvKernel(conv2dTap);
export const conv2dQuant = quantConvKernel(conv2dTap, 'conv2d');
