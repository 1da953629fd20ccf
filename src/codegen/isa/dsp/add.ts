/**
 * DSP ADD (templates/kernels/add_dsp.c.hbs): TFLite's quantized ADD, 4 values
 * per step. SXTAB16/UXTAB16 widen each input word to int16 pairs minus the
 * zero point; each value is rescaled by the fast DSP epilogue (one SMMLAR,
 * dsp/requant.ts smmlarRequant, zero point 0) on the doubled (x − zp) << 20,
 * or by SMMULR alone where its shift is zero (flags `z1`, `z2`), the sum by
 * the same epilogue on the doubled sum (bound from the inputs' range); the results are
 * saturated to 8 bits, packed by PKHBT + UXTB16 and, when the activation
 * clamp is narrower than the dtype, clamped 4 bytes at a time (SSUB8/USUB8 +
 * SEL). Scalar tail (n % 4) with the same arithmetic.
 *
 * `dsp/add/any` takes every int8/uint8 ADD: where a stage is outside the fast
 * forms (an output shift left, zero or beyond 30, no headroom for the zero
 * point), or `dsp.smmlar` is false, every stage runs the total DSP epilogue
 * (`mobilec_dsp_requant_any`, totalRequant: flag `x64`, `ls` when a stage
 * shifts left).
 */
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import { addAnyLeft, addKernelId, addOperands, addZeroShifts, inputSpan, quantAdd, type QuantAdd } from '../quantAdd.js';
import { cType, flagSwitch } from '../quantConv.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import { smmlarRequant, totalRequant } from './requant.js';
import type { RequantTable } from '../../requant.js';
import { negPair } from './shared.js';

interface AddPlan {
  readonly q: QuantAdd;
  /** {in1, in2, out} rows of 4. */
  readonly consts: Int32Array;
  /** The total form (`x64`). */
  readonly any: boolean;
}

/**
 * The fast row of an input stage: {m, 0, 0, 0} for a zero shift (SMMULR alone), else the SMMLAR
 * form of the DSP epilogue on the doubled (x − zp) << 20 (zero point 0); null outside both.
 */
function inputRow(q: QuantAdd, t: RequantTable): Int32Array | null {
  if (t.shift[0] === 0) return t.multiplier[0]! >= 0 ? Int32Array.of(t.multiplier[0]!, 0, 0, 0) : null;
  return smmlarRequant(t, () => inputSpan(q, t) * 2 ** q.rq.leftShift);
}

function plan(layer: Layer): AddPlan | null {
  const q = quantAdd(layer);
  if (!q) return null;
  const { in1, in2, out } = q.rq;
  const fast = flagSwitch(layer.ctx, 'dsp.smmlar', true);
  const a = fast ? inputRow(q, in1) : null;
  const b = fast ? inputRow(q, in2) : null;
  const o = fast ? smmlarRequant(out, () => q.sumBound) : null;
  if (a && b && o) return { q, consts: Int32Array.from([...a, ...b, ...o]), any: false };
  return { q, consts: Int32Array.from([...totalRequant(in1), ...totalRequant(in2), ...totalRequant(out)]), any: true };
}

function id(_layer: Layer, p: AddPlan): KernelId {
  const ls = p.any && addAnyLeft(p.q);
  return addKernelId(p.q, 'dsp', {
    ...(p.any ? { x64: true as const } : { rn: true as const }),
    ...(ls ? { ls: true as const } : {}),
    ...(p.any ? {} : addZeroShifts(p.q)),
    ...(p.q.rq.out.saturating ? {} : { clamp: true as const }),
  });
}

/** Four copies of an 8-bit bound as a C literal (the packed SEL clamp). */
function bytes4(v: number): string {
  const b = v & 0xff;
  return `(int32_t)0x${((b * 0x01010101) >>> 0).toString(16).padStart(8, '0')}u`;
}

function emit(layer: Layer, p: AddPlan): OpEmission {
  const { q } = p;
  const kernel = formatKernelId(id(layer, p));
  const ops = addOperands(layer, q);
  const out = q.rq.out;
  const [lo, hi] = q.dtype === 'int8' ? [-128, 127] : [0, 255];
  const clamp = out.saturating ? [] : [bytes4(Math.min(Math.max(out.actMin, lo), hi)), bytes4(Math.max(Math.min(out.actMax, hi), lo))];
  const args = [ops.x1, ops.x2, layer.ctx.table('dsp_add_rq', p.consts), negPair(q.rq.in1.xZp), negPair(q.rq.in2.xZp), ...clamp, ops.y];
  return {
    family: 'add_dsp',
    kernel,
    params: {
      fn: kernel,
      t: cType(q.dtype),
      dtype: q.dtype,
      unsigned: q.dtype === 'uint8',
      n: q.n,
      leftShift: q.rq.leftShift,
      shl: q.rq.leftShift + 1,
      tail: q.n % 4 !== 0,
      sat: out.saturating,
      anyRq: p.any,
      ...(p.any ? {} : addZeroShifts(q)),
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: 0,
  };
}

export const addVariants: readonly SimdVariant<AddPlan>[] = [
  {
    key: 'dsp/add/any',
    isa: 'dsp',
    ops: ['add'],
    applies: plan,
    id,
    emit,
  },
];
