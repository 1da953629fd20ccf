/**
 * DSP MUL (templates/kernels/mul_dsp.c.hbs): TFLite's quantized MUL, 4 values per step. SXTAB16/UXTAB16
 * widen each input word to int16 pairs minus the zero point (|x − zp| <= 255 fits a halfword); SMULBB /
 * SMULTT multiply the pairs into the exact int32 products (|product| <= 255² = 65025); each product goes
 * through the DSP epilogue's cascade (dspRequant on the one-stage table requant.ts mulRequantTable, the
 * product's bound from quantMul: the SMMLAR forms on the doubled product when the shift and the bound
 * allow, else the 64-bit or total form; `rn`, `ls`, `x64` as the form says), saturated to 8 bits,
 * packed (PKHBT + UXTB16) and, when the activation clamp is narrower than the dtype, clamped 4 bytes at a
 * time (SSUB8/USUB8 + SEL). Broadcast forms (quantMul): a scalar is one halfword pair, a per-channel
 * vector is reloaded per row of P values; a row's tail (P % 4) runs the same arithmetic one value at a time.
 * `dsp/mul/any` takes every int8/uint8 MUL.
 */
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import { mulKernelName, mulOperands, quantMul, type QuantMul } from '../quantMul.js';
import { cType, flagSwitch } from '../quantConv.js';
import { parseKernelName } from '../../kernelId.js';
import { DSP_REQUANT_FN, dspRequant, needsRequantAny, type DspRequant } from './requant.js';
import { dspFlags, negPair } from './shared.js';
import { bytes4 } from './add.js';
import { internalError } from '../../../model/errors.js';

interface MulPlan {
  readonly q: QuantMul;
  readonly out: DspRequant;
}

function plan(layer: Layer): MulPlan | null {
  const q = quantMul(layer);
  if (!q) return null;
  const out = dspRequant(q.rq, flagSwitch(layer.ctx, 'dsp.smmlar', true), () => q.accBound);
  if (out.consts.length !== 4) throw internalError(`dsp/mul: ${out.consts.length} epilogue constants for one stage`);
  return { q, out };
}

const name = (p: MulPlan) => mulKernelName(p.q, 'dsp', dspFlags(p.q.rq, p.out));

function emit(layer: Layer, p: MulPlan): OpEmission {
  const { q } = p;
  const kernel = name(p);
  const ops = mulOperands(layer, q);
  const t = q.rq;
  const [lo, hi] = q.dtype === 'int8' ? [-128, 127] : [0, 255];
  const clamp = t.saturating ? [] : [bytes4(Math.min(Math.max(t.actMin, lo), hi)), bytes4(Math.max(Math.min(t.actMax, hi), lo))];
  const args = [ops.full, ops.small, layer.ctx.table('dsp_mul_rq', p.out.consts), negPair(q.zpFull), negPair(q.zpSmall), ...clamp, ops.y];
  const inner = q.scalar ? q.n : q.period;
  return {
    family: 'mul_dsp',
    kernel,
    params: {
      fn: kernel,
      outer: q.n / inner,
      inner,
      tail: inner % 4 !== 0,
      scalar: q.scalar,
      t: cType(q.dtype),
      dtype: q.dtype,
      unsigned: q.dtype === 'uint8',
      sat: t.saturating,
      dbl: p.out.dbl,
      anyRq: needsRequantAny(p.out.form),
      rqfn: DSP_REQUANT_FN[p.out.form],
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: 0,
  };
}

export const mulVariants: readonly SimdVariant<MulPlan>[] = [
  { key: 'dsp/mul/any', isa: 'dsp', ops: ['mul'], applies: plan, id: (_l, p) => parseKernelName(name(p)), emit },
];
