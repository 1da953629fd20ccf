/**
 * Helium ADD (templates/kernels/add_mve.c.hbs): TFLite's quantized ADD on 4
 * int32 lanes, the tail predicated. Each stage is the Helium epilogue
 * (templates/partials/mve/requant.hbs) on its table from mve/requant.ts:
 * `mobilec_mve_mbqm_r` for the inputs (right or zero shifts; VQRDMULH alone
 * for an input that shifts by zero, flags `z1`, `z2`), the output
 * through mve/requant_call (`rn` when it shifts right; `ls`: some stage
 * shifts left, the general form everywhere). `mve/add/any` takes every
 * int8/uint8 ADD.
 */
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import { addAnyLeft, addKernelId, addLaneArgs, addZeroShifts, bcParams, quantAdd, type QuantAdd } from '../quantAdd.js';
import { cType } from '../quantConv.js';

const id = (_l: Layer, q: QuantAdd): KernelId =>
  addKernelId(q, 'mve', { ...(addAnyLeft(q) ? { ls: true } : q.rq.out.allRight ? { rn: true } : {}), ...addZeroShifts(q) });

function emit(layer: Layer, q: QuantAdd): OpEmission {
  const kernel = formatKernelId(id(layer, q));
  const args = addLaneArgs(layer, q, 'mve_add_rq');
  return {
    family: 'add_mve',
    kernel,
    params: {
      fn: kernel,
      t: cType(q.dtype),
      dtype: q.dtype,
      unsigned: q.dtype === 'uint8',
      n: q.n,
      tail: q.n % 4,
      ...bcParams(q, 4),
      leftShift: q.rq.leftShift,
      left: addAnyLeft(q),
      rn: q.rq.out.allRight && !addAnyLeft(q),
      ...addZeroShifts(q),
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: 0,
  };
}

export const addVariants: readonly SimdVariant<QuantAdd>[] = [{ key: 'mve/add/any', isa: 'mve', ops: ['add'], applies: quantAdd, id, emit }];
