/**
 * DSP ADD (templates/kernels/add_dsp.c.hbs): TFLite's quantized ADD, 4 values
 * per step. SXTAB16/UXTAB16 widen each input word to int16 pairs minus the
 * zero point; each value is rescaled by the DSP epilogue's SMMLAR form
 * (dsp/requant.ts smmlarRequant, zero point 0) on the doubled (x − zp) << 20,
 * or by SMMULR alone where its shift is zero (flags `z1`, `z2`); the sum by
 * the DSP epilogue's cascade (dspRequant: the SMMLAR form on the doubled sum,
 * bounded by the inputs' range, `rn`; else the 64-bit SMLAL form, `rn x64`;
 * else the total form, any shift, `x64`, `ls` when it shifts left). Results
 * saturated to 8 bits, packed by PKHBT + UXTB16 and, when the activation
 * clamp is narrower than the dtype, clamped 4 bytes at a time (SSUB8/USUB8 +
 * SEL). Scalar tail (n % 4) with the same arithmetic.
 *
 * `dsp/add/any` takes every int8/uint8 ADD TFLite prepares (input stages
 * shift right or not at all). `dsp.smmlar: false` gives the sum the 64-bit
 * or total form; the input stages keep SMMLAR, exact for any 8-bit input.
 */
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import { addKernelId, addOperands, addZeroShifts, bcParams, inputSpan, quantAdd, type QuantAdd } from '../quantAdd.js';
import { cType, flagSwitch } from '../quantConv.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import { DSP_REQUANT_FN, dspRequant, needsRequantAny, smmlarRequant, type DspRequant } from './requant.js';
import type { RequantTable } from '../../requant.js';
import { dspFlags, negPair } from './shared.js';

interface AddPlan {
  readonly q: QuantAdd;
  /** {in1, in2, out} rows of 4. */
  readonly consts: Int32Array;
  /** The output stage's DSP epilogue. */
  readonly out: DspRequant;
}

/**
 * The row of an input stage: {m, 0, 0, 0} for a zero shift (SMMULR alone), else the SMMLAR form
 * of the DSP epilogue (smmlarRequant, zero point 0) on the doubled (x − zp) << 20, |x − zp| <= 255:
 * exact for every right shift (e = 31, beyond smmlarRequant's range, rounds every value to 0 the
 * same way: {m, 2^30, 31, 0}). Null for a left shift or a negative multiplier, which TFLite's ADD
 * never prepares (its input multipliers are < 1, prepareAdd refuses others).
 */
function inputRow(q: QuantAdd, t: RequantTable): Int32Array | null {
  const m = t.multiplier[0]!;
  const s = t.shift[0]!;
  if (m < 0 || s > 0) return null;
  if (s === 0) return Int32Array.of(m, 0, 0, 0);
  return smmlarRequant(t, () => inputSpan(q, t) * 2 ** q.rq.leftShift) ?? (s === -31 ? Int32Array.of(m, 2 ** 30, 31, 0) : null);
}

function plan(layer: Layer): AddPlan | null {
  const q = quantAdd(layer);
  if (!q) return null;
  const a = inputRow(q, q.rq.in1);
  const b = inputRow(q, q.rq.in2);
  if (!a || !b) return null;
  const o = dspRequant(q.rq.out, flagSwitch(layer.ctx, 'dsp.smmlar', true), () => q.sumBound);
  return { q, consts: Int32Array.from([...a, ...b, ...o.consts]), out: o };
}

function id(_layer: Layer, p: AddPlan): KernelId {
  return addKernelId(p.q, 'dsp', { ...dspFlags(p.q.rq.out, p.out), ...addZeroShifts(p.q) });
}

/** Four copies of an 8-bit bound as a C literal (the packed SEL clamp). */
export function bytes4(v: number): string {
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
      n: q.n,
      tail: q.n % 4 !== 0,
      ...bcParams(q, 4),
      leftShift: q.rq.leftShift,
      shl: q.rq.leftShift + 1,
      t: cType(q.dtype),
      dtype: q.dtype,
      unsigned: q.dtype === 'uint8',
      sat: out.saturating,
      dbl: p.out.dbl,
      anyRq: needsRequantAny(p.out.form),
      rqfn: DSP_REQUANT_FN[p.out.form],
      ...addZeroShifts(q),
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
