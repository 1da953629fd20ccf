/**
 * depthwise_conv2d reference kernels. NHWC input, filter [1, KH, KW, I·M],
 * output channel c = ic·M + k reads input channel ic. The window walk and
 * the float / quantized output stages live in common.ts.
 */
import type { WindowGeometry } from '../../model/geometry.js';
import { floatConvKernel, quantConvKernel } from '../../reference/kernels/common.js';

/** acc[c] += x[xi + ic] · w[t, c] for every output channel c = ic·M + k. */
function depthwiseTap(acc: Float64Array, x: Float64Array, w: Float64Array, xi: number, t: number, g: WindowGeometry): void {
  const outC = acc.length;
  const M = g.depthMultiplier;
  const wi = t * outC;
  if (M === 1) {
    for (let c = 0; c < outC; c++) acc[c] += x[xi + c]! * w[wi + c]!;
  } else {
    for (let ic = 0; ic < g.inC; ic++) {
      const xv = x[xi + ic]!;
      const oc0 = ic * M;
      for (let k = 0; k < M; k++) acc[oc0 + k] += xv * w[wi + oc0 + k]!;
    }
  }
}

export const depthwiseConv2dFloat = floatConvKernel(depthwiseTap);
export const depthwiseConv2dQuant = quantConvKernel(depthwiseTap, 'depthwise_conv2d');
