import type { Padding } from '../../src/model/ir.js';
import { outputExtent, paddingBefore, type WindowGeometry } from '../../src/model/geometry.js';

/** WindowGeometry from NHWC input extents, kernel, stride and padding (TFLite rules). */
export function geom(
  inH: number,
  inW: number,
  inC: number,
  kH: number,
  kW: number,
  stride: number,
  padding: Padding,
  outC: number,
  depthMultiplier = 1,
): WindowGeometry {
  const outH = outputExtent(inH, kH, stride, padding);
  const outW = outputExtent(inW, kW, stride, padding);
  return {
    inH,
    inW,
    inC,
    outH,
    outW,
    outC,
    kH,
    kW,
    strideH: stride,
    strideW: stride,
    padTop: paddingBefore(inH, outH, kH, stride, padding),
    padLeft: paddingBefore(inW, outW, kW, stride, padding),
    depthMultiplier,
  };
}
