/**
 * NEON MUL (templates/kernels/mul_neon.c.hbs), one variant per ISA tag: `neon/mul/any` (aarch64: rpi3,
 * rpi4, rpi5) and `neon32/mul/any` (armv7 NEON). TFLite's quantized MUL 8 values per block: both operands
 * widened minus their zero points (VSUBL, |x − zp| <= 255 fits int16), multiplied into int32 (VMULL.S16,
 * exact: |product| <= 65025), requantized by mobilec_neon_mbqm (neon_common; SSHL first when the shift
 * is left, flag `ls`), plus the zero point (saturating), clamped and narrowed. Broadcast forms
 * (quantMul): the scalar is one VDUP, a per-channel vector reloaded per row of P values; a row's tail
 * goes through the same block from zero-padded copies. Takes every int8/uint8 MUL.
 */
import type { KernelIsa } from '../../../kernelId.js';
import { parseKernelName } from '../../../kernelId.js';
import type { Layer, OpEmission, SimdVariant } from '../../../types.js';
import { mulKernelName, mulLaneArgs, quantMul, type QuantMul } from '../../quantMul.js';
import { cType } from '../../quantConv.js';
import { common, neonIsa } from '../shared.js';

const name = (isa: KernelIsa, q: QuantMul) => mulKernelName(q, isa, q.rq.anyLeft ? { ls: true } : {});

function emit(isa: KernelIsa, layer: Layer, q: QuantMul): OpEmission {
  const kernel = name(isa, q);
  const inner = q.scalar ? q.n : q.period;
  return {
    family: 'mul_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      t: cType(q.dtype),
      dtype: q.dtype,
      unsigned: q.dtype === 'uint8',
      a32: isa === 'neon32',
      outer: q.n / inner,
      inner,
      tail: inner % 8,
      scalar: q.scalar,
      left: q.rq.anyLeft ? 1 : 0,
    },
    call: `${kernel}(${mulLaneArgs(layer, q, 'neon_mul_rq').join(', ')});`,
    macs: 0,
  };
}

function variant(isa: 'neon' | 'neon32'): SimdVariant<QuantMul> {
  return {
    key: `${isa}/mul/any`,
    isa,
    ops: ['mul'],
    applies: (l) => (neonIsa(l.ctx, false) === isa ? quantMul(l) : null),
    id: (_l, q) => parseKernelName(name(isa, q)),
    emit: (l, q) => emit(isa, l, q),
  };
}

export const mulVariants = { neon: variant('neon'), neon32: variant('neon32') };
