/**
 * NEON ADD (templates/kernels/add_neon.c.hbs), one variant per ISA tag:
 * `neon/add/any` (aarch64: rpi4, and rpi5, whose dot product ADD does not
 * use) and `neon32/add/any` (armv7 NEON). TFLite's quantized ADD 8 values per
 * block: each stage is mobilec_neon_mbqm (neon_common) on its row of the one
 * requantization table (requant.ts addRequantTables), `ls` when some stage
 * shifts left, SQRDMULH alone for an input that shifts by zero (`z1`, `z2`); the tail goes through the same block from zero-padded copies.
 * Takes every int8/uint8 ADD.
 */
import type { KernelIsa } from '../../../kernelId.js';
import { formatKernelId } from '../../../kernelId.js';
import type { Layer, OpEmission, SimdVariant } from '../../../types.js';
import { addAnyLeft, addKernelId, addLaneArgs, addZeroShifts, bcParams, quantAdd, type QuantAdd } from '../../quantAdd.js';
import { cType } from '../../quantConv.js';
import { common, neonIsa } from '../shared.js';

const flagsId = (isa: KernelIsa, q: QuantAdd) => addKernelId(q, isa, { ...(addAnyLeft(q) ? { ls: true } : {}), ...addZeroShifts(q) });

function emit(isa: KernelIsa, layer: Layer, q: QuantAdd): OpEmission {
  const left = addAnyLeft(q);
  const kernel = formatKernelId(flagsId(isa, q));
  const args = addLaneArgs(layer, q, 'neon_add_rq');
  return {
    family: 'add_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      t: cType(q.dtype),
      dtype: q.dtype,
      unsigned: q.dtype === 'uint8',
      a32: isa === 'neon32',
      n: q.n,
      tail: q.n % 8,
      ...bcParams(q, 8),
      leftShift: q.rq.leftShift,
      left: left ? 1 : 0,
      ...addZeroShifts(q),
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: 0,
  };
}

function variant(isa: 'neon' | 'neon32'): SimdVariant<QuantAdd> {
  return {
    key: `${isa}/add/any`,
    isa,
    ops: ['add'],
    applies: (l) => (neonIsa(l.ctx, false) === isa ? quantAdd(l) : null),
    id: (_l, q) => flagsId(isa, q),
    emit: (l, q) => emit(isa, l, q),
  };
}

export const addVariants = { neon: variant('neon'), neon32: variant('neon32') };
