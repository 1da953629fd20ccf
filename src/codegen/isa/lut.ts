/**
 * Table-lookup kernels of the quantized elementwise unary ops (HARD_SWISH,
 * LOGISTIC, standalone RELU / RELU6 / RELU_N1_TO_1), one variant per ISA on
 * the generic emission (src/ops/shared/unary.ts: the 256-entry table of the
 * reference's outputs, a `ctx.table` constant already in the call). The
 * table is exact by construction, so every form is too; only the lookup
 * differs (templates/kernels/lut.c.hbs):
 *  - `neon/lut/table` (aarch64): 16 values per TBL + 3 TBX over the table in 16 Q registers;
 *  - `mve/lut/table` (Helium): 16 values per VLDRB.U8 gather with 8-bit offsets, the tail predicated;
 *  - `dsp/lut/table`, `neon32/lut/table`: words of 4 values (one load, four byte extracts and table
 *    loads, three ORs with shifted operands, one store: 3.6 instructions per value against the
 *    generic byte loop's 4.25). No Armv7E-M instruction looks bytes up, and armv7 VTBL reaches 32
 *    entries (a 256-entry table would take 8 lookups per 8 values and every D register).
 * Every layer the generic emitter gives a table takes its ISA's variant.
 */
import { formatKernelId, parseKernelName, type KernelIsa } from '../kernelId.js';
import type { Layer, OpEmission, SimdVariant } from '../types.js';
import { common, neonIsa } from './neon/shared.js';

type LutIsa = Extract<KernelIsa, 'dsp' | 'mve' | 'neon' | 'neon32'>;

function plan(isa: LutIsa, l: Layer): { kernel: string } | null {
  const g = l.generic;
  if (g.family !== 'lut' || g.kernel === null || g.call === null) return null;
  if ((isa === 'neon' || isa === 'neon32') && neonIsa(l.ctx, false) !== isa) return null;
  return { kernel: g.kernel };
}

function emit(isa: LutIsa, l: Layer, p: { kernel: string }): OpEmission {
  const kernel = formatKernelId({ ...parseKernelName(p.kernel), isa });
  const n = l.generic.params.n as number;
  return {
    ...l.generic,
    kernel,
    params: {
      ...l.generic.params,
      fn: kernel,
      neon: isa === 'neon',
      mve: isa === 'mve',
      words: isa === 'dsp' || isa === 'neon32',
      common: isa === 'neon' ? common() : '',
      blocks: Math.floor(n / 16),
      tail: n % 16,
    },
    call: l.generic.call!.replace(p.kernel, kernel),
  };
}

function variant(isa: LutIsa): SimdVariant<{ kernel: string }> {
  return {
    key: `${isa}/lut/table`,
    isa,
    ops: ['hard_swish', 'logistic', 'activation'],
    applies: (l) => plan(isa, l),
    id: (_l, p) => ({ ...parseKernelName(p.kernel), isa }),
    emit: (l, p) => emit(isa, l, p),
  };
}

export const lutVariants = { dsp: variant('dsp'), mve: variant('mve'), neon: variant('neon'), neon32: variant('neon32') };
