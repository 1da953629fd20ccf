/**
 * Helium MUL (templates/kernels/mul_mve.c.hbs): TFLite's quantized MUL on 4 int32 lanes (VLDRB widening
 * loads, VMUL of the zero-point-free operands, exact: |product| <= 65025), the product through the Helium
 * epilogue (mve/requant_call: `rn` when the shift is right, `ls` when left, else the general right form),
 * the row tail predicated. Broadcast forms (quantMul): the scalar is one VDUP, a per-channel vector is
 * reloaded per row of P values. `mve/mul/any` takes every int8/uint8 MUL.
 */
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import { mulKernelName, mulLaneArgs, quantMul, type QuantMul } from '../quantMul.js';
import { cType } from '../quantConv.js';
import { parseKernelName, type KernelId } from '../../kernelId.js';

const flags = (q: QuantMul) => (q.rq.anyLeft ? { ls: true as const } : q.rq.allRight ? { rn: true as const } : {});
const name = (q: QuantMul) => mulKernelName(q, 'mve', flags(q));

function emit(layer: Layer, q: QuantMul): OpEmission {
  const kernel = name(q);
  const inner = q.scalar ? q.n : q.period;
  return {
    family: 'mul_mve',
    kernel,
    params: {
      fn: kernel,
      t: cType(q.dtype),
      dtype: q.dtype,
      unsigned: q.dtype === 'uint8',
      outer: q.n / inner,
      inner,
      tail: inner % 4,
      scalar: q.scalar,
      left: q.rq.anyLeft,
      rn: q.rq.allRight && !q.rq.anyLeft,
    },
    call: `${kernel}(${mulLaneArgs(layer, q, 'mve_mul_rq').join(', ')});`,
    macs: 0,
  };
}

export const mulVariants: readonly SimdVariant<QuantMul>[] = [
  { key: 'mve/mul/any', isa: 'mve', ops: ['mul'], applies: quantMul, id: (_l, q): KernelId => parseKernelName(name(q)), emit },
];
