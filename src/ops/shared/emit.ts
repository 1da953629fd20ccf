/** Template parameters the weighted ops' generic kernels (conv, dwconv, fc) share. */
import { cType } from '../../codegen/ops/common.js';

export function weightedTypeParams(dtype: 'int8' | 'uint8' | 'float32', w: { ctype: string; hasWZp: boolean }) {
  const quant = dtype !== 'float32';
  return { t: cType(dtype), w: w.ctype, b: quant ? 'int32_t' : 'float', acc: quant ? 'int32_t' : 'float', quant, hasWZp: w.hasWZp, dtype };
}
