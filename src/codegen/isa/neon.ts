/**
 * NEON kernels (arm_neon.h) for the Raspberry Pi targets: `neon` (rpi4,
 * rpi-armv7) and `neon-dotprod` (rpi5, SDOT for int8 pointwise).
 *
 * Each family has one template (`templates/kernels/<family>_neon.c.hbs`);
 * its function name spells the configuration. Weights are re-packed here,
 * at compile time, in the order the kernel reads them (`ctx.table`), and
 * int8 activation zero points are folded into per-channel bias corrections
 * (bias − xZp·Σw) so inner loops are pure dot products. Shapes a kernel does
 * not handle return null: the generic kernel runs.
 */
import type { Conv2DOp, DepthwiseConv2DOp, FullyConnectedOp, Op, Pool2DOp, Tensor } from '../../model/ir.js';
import { elementCount } from '../../model/ir.js';
import { windowGeometry, type WindowGeometry } from '../../model/geometry.js';
import type { EmitContext, IsaKernels, OpEmission } from '../types.js';
import { render } from '../templates.js';
import { DTYPE_TAG, biasSymbol, cType, floatActRange, int32Literal, quantActRange, requireRequant, shapeTag, strideTag, zeroPoint } from '../ops/common.js';

type ActDType = 'float32' | 'int8' | 'uint8';

interface Flavour {
  readonly dotprod: boolean;
  readonly aarch64: boolean;
}

let commonSource: string | undefined;
function common(): string {
  commonSource ??= render('kernels/neon_common.c.hbs', {});
  return commonSource;
}

function actDType(t: Tensor): ActDType | null {
  return t.dtype === 'float32' || t.dtype === 'int8' || t.dtype === 'uint8' ? t.dtype : null;
}

/** Weights as numbers with the weight zero point already subtracted (quantized) or as floats. */
function weightValues(op: Op, ctx: EmitContext, dtype: ActDType): { w: Float64Array | Int32Array; shape: readonly number[]; wZp: number; int8: boolean } | null {
  const wT = ctx.tensor(op.inputs[1]!);
  if (!wT.data) return null;
  if (dtype === 'float32') {
    if (wT.dtype !== 'float32') return null;
    return { w: Float64Array.from(wT.data as Float32Array), shape: wT.shape, wZp: 0, int8: false };
  }
  if (wT.dtype !== 'int8' && wT.dtype !== 'uint8') return null;
  if ((wT.quant?.zeroPoint.length ?? 1) > 1 && wT.quant!.zeroPoint.some((z) => z !== 0)) return null;
  const wZp = zeroPoint(wT);
  const w = new Int32Array(wT.data.length);
  for (let i = 0; i < w.length; i++) w[i] = (wT.data[i] as number) - wZp;
  return { w, shape: wT.shape, wZp, int8: wT.dtype === 'int8' && wZp === 0 };
}

/** Raw bias values (length channels), zero when the op has none. */
function biasValues(op: Op, ctx: EmitContext, channels: number, quant: boolean): Float64Array | null {
  const id = op.inputs[2];
  const out = new Float64Array(channels);
  if (id === undefined || id < 0) return out;
  const b = ctx.tensor(id);
  if (!b.data || b.dtype !== (quant ? 'int32' : 'float32') || b.data.length !== channels) return null;
  for (let i = 0; i < channels; i++) out[i] = b.data[i] as number;
  return out;
}

interface QuantParams {
  readonly args: string[];
  readonly hasLsh: boolean;
}

/** Requant tables padded to `padded` channels: multiplier, left shift (≥ 0), right shift as a negative count. */
function quantArgs(op: Op, ctx: EmitContext, yT: Tensor, channels: number, padded: number): QuantParams {
  const rq = requireRequant(op);
  const n = rq.multiplier.length;
  const mult = new Int32Array(padded);
  const lsh = new Int32Array(padded);
  const rsh = new Int32Array(padded);
  let hasLsh = false;
  for (let c = 0; c < channels; c++) {
    const m = rq.multiplier[n === 1 ? 0 : c]!;
    const s = rq.shift[n === 1 ? 0 : c]!;
    mult[c] = m;
    lsh[c] = Math.max(s, 0);
    rsh[c] = Math.min(s, 0);
    if (s > 0) hasLsh = true;
  }
  const rshSym = ctx.table('nrsh', rsh);
  return {
    args: [ctx.table('nmult', mult), hasLsh ? ctx.table('nlsh', lsh) : rshSym, rshSym, String(zeroPoint(yT)), int32Literal(rq.actMin), int32Literal(rq.actMax)],
    hasLsh,
  };
}

function quantChannelsOk(op: Op, channels: number): boolean {
  const rq = op.requant;
  if (!rq) return false;
  return rq.multiplier.length === 1 || rq.multiplier.length === channels;
}

const ceil = (a: number, b: number) => Math.ceil(a / b) * b;

/** int32 wrap-around arithmetic, as the C accumulators do. */
const wrap = (v: number) => v | 0;

// ---------------------------------------------------------------- aarch64 pointwise tiles (inline asm)

/** Lines of an inline-asm string literal. */
const asmText = (lines: string[]): string => lines.map((l) => `        "${l}\\n\\t"`).join('\n');
const V = (n: number) => `v${n}`;
const CLOBBERS = (hi: number) => Array.from({ length: hi }, (_, i) => `"v${i}"`).join(', ');

/**
 * The 4-pixel x 16-channel float32 tile as aarch64 assembly: accumulators
 * v16-v31 (pixel-major), 8 input channels of each pixel per step (LDP),
 * one LD1 of 4 registers per input channel's 16 weights, 128 by-element
 * FMLAs per step; bias, clamp and stores included. K % 8 == 0.
 */
function f32AsmTile(fn: string, K: number, cout: number): string {
  const L: string[] = [];
  L.push('ld1 {v16.4s-v19.4s}, [%[b]]', 'ld1 {v20.4s-v23.4s}, [%[b]]', 'ld1 {v24.4s-v27.4s}, [%[b]]', 'ld1 {v28.4s-v31.4s}, [%[b]]');
  L.push('1:');
  for (let p = 0; p < 4; p++) L.push(`ldp q${2 * p}, q${2 * p + 1}, [%[x${p}]], #32`);
  for (let j = 0; j < 8; j++) {
    const wr = j % 2 === 0 ? 8 : 12;
    L.push(`ld1 {v${wr}.4s-v${wr + 3}.4s}, [%[w]], #64`);
    for (let i = 0; i < 4; i++) for (let p = 0; p < 4; p++) L.push(`fmla ${V(16 + 4 * p + i)}.4s, ${V(wr + i)}.4s, ${V(2 * p + (j >> 2))}.s[${j & 3}]`);
  }
  L.push('subs %[n], %[n], #1', 'b.ne 1b');
  L.push('ld2r {v12.4s, v13.4s}, [%[a]]');
  for (let r = 16; r < 32; r++) L.push(`fmax v${r}.4s, v${r}.4s, v12.4s`);
  for (let r = 16; r < 32; r++) L.push(`fmin v${r}.4s, v${r}.4s, v13.4s`);
  for (let p = 0; p < 4; p++) L.push(`st1 {v${16 + 4 * p}.4s-v${19 + 4 * p}.4s}, [%[y]], %[ys]`);
  return `/* 4 pixels x 16 channels, K = ${K}: LDP/LD1x4 loads, 128 FMLAs per 8 input channels. */
MOBILEC_NEON_INLINE void ${fn}(const float *x, const float *w, const float *b, const float *a, float *y)
{
    const float *x1 = x + ${K}, *x2 = x + ${2 * K}, *x3 = x + ${3 * K};
    long n = ${K / 8};
    __asm__ __volatile__(
${asmText(L)}
        : [x0] "+r"(x), [x1] "+r"(x1), [x2] "+r"(x2), [x3] "+r"(x3), [w] "+r"(w), [y] "+r"(y), [n] "+r"(n)
        : [b] "r"(b), [a] "r"(a), [ys] "r"((long)${cout * 4})
        : "memory", "cc", ${CLOBBERS(32)});
}`;
}

/**
 * Requantization of accumulator registers in place (MultiplyByQuantizedMultiplier,
 * bit-exact): mult in m, right shift (negative) in r, optional left shift in l, tmp a scratch register.
 */
function requantAsm(L: string[], acc: number, m: number, r: number, l: number | null, tmp: number, allNeg: boolean): void {
  if (l !== null) L.push(`sshl v${acc}.4s, v${acc}.4s, v${l}.4s`);
  L.push(`sqrdmulh v${acc}.4s, v${acc}.4s, v${m}.4s`);
  // every shift a right shift: the sign of (x & rsh) is the sign of x
  if (allNeg) L.push(`cmlt v${tmp}.4s, v${acc}.4s, #0`);
  else L.push(`and v${tmp}.16b, v${acc}.16b, v${r}.16b`, `sshr v${tmp}.4s, v${tmp}.4s, #31`);
  L.push(`sqadd v${acc}.4s, v${acc}.4s, v${tmp}.4s`, `srshl v${acc}.4s, v${acc}.4s, v${r}.4s`);
}

const QUANT_ASM_PARAMS = 'const int32_t *mult, const int32_t *lsh, const int32_t *rsh, const int16_t *zp, const int8_t *mm';
const QUANT_ASM_INPUTS = '[m] "r"(mult), [l] "r"(lsh), [r] "r"(rsh), [z] "r"(zp), [mm] "r"(mm)';

/**
 * int8 x int8 without dot product, 4 pixels x 4 channels: lanes = 16 input
 * channels, SMULL + SMLAL2 + SADALP per (pixel, channel), pairwise sums,
 * bias, requantization, narrowing (zero point added in int16 with
 * saturation, then int8 clamp: equal to the int32 clamp) and stores. K % 16 == 0.
 */
function s8AsmTile(fn: string, K: number, cout: number, hasLsh: boolean, allNeg: boolean): string {
  const L: string[] = [];
  // The first 16 input channels start the accumulators (SADDLP), the rest add to them (SADALP).
  const chunk = (first: boolean) => {
    for (let p = 0; p < 4; p++) L.push(`ldr q${p}, [%[x${p}]], #16`);
    L.push('ld1 {v4.16b-v7.16b}, [%[w]], #64');
    let t = 0;
    for (let p = 0; p < 4; p++)
      for (let i = 0; i < 4; i++) {
        const tr = 8 + (t++ % 8);
        L.push(`smull v${tr}.8h, v${p}.8b, v${4 + i}.8b`, `smlal2 v${tr}.8h, v${p}.16b, v${4 + i}.16b`,
          `${first ? 'saddlp' : 'sadalp'} v${16 + 4 * p + i}.4s, v${tr}.8h`);
      }
  };
  chunk(true);
  if (K > 16) {
    L.push('1:');
    chunk(false);
    L.push('subs %[n], %[n], #1', 'b.ne 1b');
  }
  for (let p = 0; p < 4; p++) L.push(`addp v8.4s, v${16 + 4 * p}.4s, v${17 + 4 * p}.4s`, `addp v9.4s, v${18 + 4 * p}.4s, v${19 + 4 * p}.4s`, `addp v${p}.4s, v8.4s, v9.4s`);
  L.push('ld1 {v4.4s}, [%[b]]', 'ld1 {v5.4s}, [%[m]]', 'ld1 {v6.4s}, [%[r]]');
  if (hasLsh) L.push('ld1 {v7.4s}, [%[l]]');
  for (let p = 0; p < 4; p++) {
    L.push(`add v${p}.4s, v${p}.4s, v4.4s`);
    requantAsm(L, p, 5, 6, hasLsh ? 7 : null, 8 + p, allNeg);
  }
  L.push('ld1r {v10.8h}, [%[z]]', 'ld2r {v11.16b, v12.16b}, [%[mm]]');
  L.push('sqxtn v8.4h, v0.4s', 'sqxtn2 v8.8h, v1.4s', 'sqxtn v9.4h, v2.4s', 'sqxtn2 v9.8h, v3.4s');
  L.push('sqadd v8.8h, v8.8h, v10.8h', 'sqadd v9.8h, v9.8h, v10.8h', 'sqxtn v8.8b, v8.8h', 'sqxtn2 v8.16b, v9.8h');
  L.push('smax v8.16b, v8.16b, v11.16b', 'smin v8.16b, v8.16b, v12.16b');
  for (let p = 0; p < 4; p++) L.push(`st1 {v8.s}[${p}], [%[y]], %[ys]`);
  return `/* 4 pixels x 4 channels, K = ${K}: SMULL/SMLAL2/SADALP, requantized in registers. */
MOBILEC_NEON_INLINE void ${fn}(const int8_t *x, const int8_t *w, const int32_t *b, ${QUANT_ASM_PARAMS}, int8_t *y)
{
    const int8_t *x1 = x + ${K}, *x2 = x + ${2 * K}, *x3 = x + ${3 * K};
    long n = ${K / 16 - 1};
    __asm__ __volatile__(
${asmText(L)}
        : [x0] "+r"(x), [x1] "+r"(x1), [x2] "+r"(x2), [x3] "+r"(x3), [w] "+r"(w), [y] "+r"(y), [n] "+r"(n)
        : [b] "r"(b), ${QUANT_ASM_INPUTS}, [ys] "r"((long)${cout})
        : "memory", "cc", ${CLOBBERS(32)});
}`;
}

/**
 * int8 dot product, 4 pixels x 16 channels: SDOT by element (16 MACs per
 * instruction), one LD1 of 4 registers per 4 input channels, bias-initialised
 * accumulators, requantization in registers (multiplier and shifts loaded once
 * per tile), 16-byte stores. K % 16 == 0.
 */
function sdotAsmTile(fn: string, K: number, cout: number, hasLsh: boolean, allNeg: boolean): string {
  const L: string[] = [];
  for (let p = 0; p < 4; p++) L.push(`ld1 {v${16 + 4 * p}.4s-v${19 + 4 * p}.4s}, [%[b]]`);
  L.push('1:');
  for (let p = 0; p < 4; p++) L.push(`ldr q${p}, [%[x${p}]], #16`);
  for (let g = 0; g < 4; g++) {
    const wr = g % 2 === 0 ? 4 : 8;
    L.push(`ld1 {v${wr}.16b-v${wr + 3}.16b}, [%[w]], #64`);
    for (let i = 0; i < 4; i++) for (let p = 0; p < 4; p++) L.push(`sdot v${16 + 4 * p + i}.4s, v${wr + i}.16b, v${p}.4b[${g}]`);
  }
  L.push('subs %[n], %[n], #1', 'b.ne 1b');
  L.push('ld1 {v0.4s-v3.4s}, [%[m]]', 'ld1 {v4.4s-v7.4s}, [%[r]]');
  if (hasLsh) L.push('ld1 {v8.4s-v11.4s}, [%[l]]');
  L.push('ld1r {v12.8h}, [%[z]]', 'ld2r {v13.16b, v14.16b}, [%[mm]]');
  for (let p = 0; p < 4; p++) {
    const a = 16 + 4 * p;
    for (let i = 0; i < 4; i++) requantAsm(L, a + i, i, 4 + i, hasLsh ? 8 + i : null, 15, allNeg);
    L.push(`sqxtn v15.4h, v${a}.4s`, `sqxtn2 v15.8h, v${a + 1}.4s`, `sqxtn v${a}.4h, v${a + 2}.4s`, `sqxtn2 v${a}.8h, v${a + 3}.4s`);
    L.push('sqadd v15.8h, v15.8h, v12.8h', `sqadd v${a}.8h, v${a}.8h, v12.8h`, 'sqxtn v15.8b, v15.8h', `sqxtn2 v15.16b, v${a}.8h`);
    L.push('smax v15.16b, v15.16b, v13.16b', 'smin v15.16b, v15.16b, v14.16b', 'st1 {v15.16b}, [%[y]], %[ys]');
  }
  return `/* 4 pixels x 16 channels, K = ${K}: SDOT by element, requantized in registers. */
MOBILEC_NEON_INLINE void ${fn}(const int8_t *x, const int8_t *w, const int32_t *b, ${QUANT_ASM_PARAMS}, int8_t *y)
{
    const int8_t *x1 = x + ${K}, *x2 = x + ${2 * K}, *x3 = x + ${3 * K};
    long n = ${K / 16};
    __asm__ __volatile__(
${asmText(L)}
        : [x0] "+r"(x), [x1] "+r"(x1), [x2] "+r"(x2), [x3] "+r"(x3), [w] "+r"(w), [y] "+r"(y), [n] "+r"(n)
        : [b] "r"(b), ${QUANT_ASM_INPUTS}, [ys] "r"((long)${cout})
        : "memory", "cc", ${CLOBBERS(32)});
}`;
}

// ---------------------------------------------------------------- pointwise

type PwMode = 'f32' | 's16' | 's8' | 'sdot';

/** Pixels per chunk of the pointwise loop (a multiple of the tile height 4 and 2). */
const PW_CHUNK = 32;

interface GemmShape {
  readonly K: number;
  readonly cout: number;
  readonly npix: number;
  /** Kernel name prefix and shape tag. */
  readonly family: 'pw' | 'fc';
  readonly shape: string;
}

/** Pointwise 1×1 convolution and fully connected: both are y[p] = W·x[p] + b over `npix` rows. */
function selectGemm(op: Conv2DOp | FullyConnectedOp, ctx: EmitContext, gs: GemmShape, fl: Flavour): OpEmission | null {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const wv = weightValues(op, ctx, dtype);
  const { K, cout, npix } = gs;
  const bv = biasValues(op, ctx, cout, quant);
  if (!wv || !bv || wv.w.length !== K * cout) return null;
  if (quant && !quantChannelsOk(op, cout)) return null;
  let mode: PwMode;
  if (!quant) mode = 'f32';
  else if (dtype === 'int8' && wv.int8 && fl.dotprod) mode = 'sdot';
  else if (dtype === 'int8' && wv.int8 && !wv.w.some((v) => v < -127)) mode = 's8';
  else mode = 's16';
  const P = fl.aarch64 ? 4 : 2;
  const VB = mode === 's8' ? 1 : fl.aarch64 ? 4 : mode === 'f32' ? 4 : 2;
  const Q = Math.ceil(cout / 4);
  const NB = Math.floor(Math.floor(cout / 4) / VB);
  const VT = Q - NB * VB;
  const tailValid = cout - NB * 4 * VB;
  const Kp = mode === 's8' || mode === 'sdot' ? ceil(K, 16) : K;
  const W = (oc: number, k: number) => (oc < cout && k < K ? wv.w[oc * K + k]! : 0);
  const blocks: [number, number][] = [];
  for (let b = 0; b < NB; b++) blocks.push([b * 4 * VB, VB]);
  if (VT) blocks.push([NB * 4 * VB, VT]);
  const packed: number[] = [];
  for (const [oc0, vq] of blocks) {
    if (mode === 'f32' || mode === 's16') {
      for (let k = 0; k < K; k++) for (let j = 0; j < 4 * vq; j++) packed.push(W(oc0 + j, k));
    } else if (mode === 'sdot') {
      for (let grp = 0; grp < Kp / 4; grp++)
        for (let i = 0; i < vq; i++) for (let l = 0; l < 4; l++) for (let t = 0; t < 4; t++) packed.push(W(oc0 + 4 * i + l, 4 * grp + t));
    } else {
      for (let c = 0; c < Kp / 16; c++) for (let l = 0; l < 4; l++) for (let t = 0; t < 16; t++) packed.push(W(oc0 + l, 16 * c + t));
    }
  }
  const padded = 4 * Q;
  const xZp = quant ? zeroPoint(xT) : 0;
  let biasSym: string;
  if (quant) {
    const b = new Int32Array(padded);
    for (let oc = 0; oc < cout; oc++) {
      let s = 0;
      for (let k = 0; k < K; k++) s = wrap(s + wv.w[oc * K + k]!);
      b[oc] = wrap(bv[oc]! - Math.imul(xZp, s));
    }
    biasSym = ctx.table('nbias', b);
  } else {
    biasSym = ctx.table('nbias', Float32Array.from({ length: padded }, (_, i) => (i < cout ? bv[i]! : 0)));
  }
  const wSym =
    mode === 'f32' ? ctx.table('nw', Float32Array.from(packed)) : mode === 's16' ? ctx.table('nw', Int16Array.from(packed)) : ctx.table('nw', Int8Array.from(packed));
  const wType = mode === 'f32' ? 'float' : mode === 's16' ? 'int16_t' : 'int8_t';
  const t = cType(dtype);
  const args = [ctx.arena(xT.id, false), wSym, biasSym];
  let hasLsh = false;
  if (quant) {
    const q = quantArgs(op, ctx, yT, cout, padded);
    hasLsh = q.hasLsh;
    args.push(...q.args);
  } else {
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  // size_t: the pixel offset is unsigned arithmetic, so gcc sees no signed overflow to warn about.
  const xs = `x + (size_t)p * ${K}`;
  const ys = `y + (size_t)p * ${cout} + oc`;
  const rq = `mult + oc, lsh + oc, rsh + oc, ${hasLsh ? 1 : 0}, y_zp, act_min, act_max`;
  const tile =
    mode === 'f32'
      ? `mobilec_neon_pw_f32_tile(${xs}, wb, bias + oc, ${K}, PP, VV, NN, ${cout}, act_min, act_max, ${ys})`
      : mode === 's16'
        ? `mobilec_neon_pw_s16_tile((const unsigned char *)(${xs}), wb, bias + oc, ${K}, PP, VV, NN, ${cout}, ${rq}, ${dtype === 'uint8' ? 1 : 0}, (unsigned char *)(${ys}))`
        : mode === 's8'
          ? `mobilec_neon_pw_s8_tile(${xs}, wb, bias + oc, ${K}, PP, NN, ${cout}, ${rq}, ${ys})`
          : `mobilec_neon_pw_sdot_tile(${xs}, wb, bias + oc, ${K}, PP, VV, NN, ${cout}, ${rq}, ${ys})`;
  const blockW = mode === 'f32' || mode === 's16' ? K * 4 * VB : mode === 'sdot' ? Kp * 4 * VB : Kp * 4;
  const allNeg = quant && requireRequant(op).shift.every((v) => v < 0);
  const kernel = `mobilec_${gs.family}_${DTYPE_TAG[dtype]}${mode === 'f32' ? '' : `_${mode}`}_neon_${P}x${VB}${hasLsh ? '_lsh' : ''}${allNeg ? '_rn' : ''}_${gs.shape}`;
  // Full 4-pixel tiles of full channel blocks run an assembly tile on aarch64.
  const asmName = `${kernel}_asm`;
  let asmFn: string | null = null;
  let asmCall: string | null = null;
  if (fl.aarch64 && P === 4 && NB > 0 && npix >= 4) {
    const q = 'mult + oc, lsh + oc, rsh + oc, qzp, qmm';
    if (mode === 'f32' && VB === 4 && K % 8 === 0) {
      asmFn = f32AsmTile(asmName, K, cout);
      asmCall = `${asmName}(x + (size_t)p * ${K}, wb, bias + oc, act, y + (size_t)p * ${cout} + oc)`;
    } else if (mode === 's8' && K % 16 === 0) {
      asmFn = s8AsmTile(asmName, K, cout, hasLsh, allNeg);
      asmCall = `${asmName}(x + (size_t)p * ${K}, wb, bias + oc, ${q}, y + (size_t)p * ${cout} + oc)`;
    } else if (mode === 'sdot' && VB === 4 && K % 16 === 0) {
      asmFn = sdotAsmTile(asmName, K, cout, hasLsh, allNeg);
      asmCall = `${asmName}(x + (size_t)p * ${K}, wb, bias + oc, ${q}, y + (size_t)p * ${cout} + oc)`;
    }
  }
  // Pixels in chunks (row-major), every channel block of a chunk before the next: streams in place.
  const chunk = Math.min(npix, PW_CHUNK);
  return {
    family: 'pw_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode,
      dtype,
      quant,
      t,
      w: wType,
      b: quant ? 'int32_t' : 'float',
      npix,
      k: K,
      cout,
      p: P,
      vb: VB,
      nb: NB,
      vt: VT,
      tailValid,
      blockOc: 4 * VB,
      blockW,
      tile,
      asmFn,
      asmCall,
      chunk,
      int8: dtype === 'int8',
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * cout * K,
    ...(gs.family === 'pw' ? { streaming: { pixelBlock: chunk } } : {}),
  };
}

// ---------------------------------------------------------------- depthwise

/** First and one-past-last output index whose 3-wide window lies inside [0, n). */
function interior(outN: number, inN: number, stride: number, pad: number): [number, number] {
  let lo = 0;
  while (lo < outN && lo * stride - pad < 0) lo++;
  let hi = lo;
  while (hi < outN && hi * stride - pad + 2 <= inN - 1) hi++;
  return [lo, Math.max(lo, hi)];
}

/**
 * The int8/uint8 stride-1 interior as aarch64 assembly, three outputs of 8 channels per iteration:
 * weights v0-v8, three rotating column triples v9-v17 (each input column loaded and widened once),
 * accumulators v18-v23, y_zp/min/max v24-v26, requantization parameters and temporaries v27-v31.
 */
function dwQAsm(u8: boolean, hasLsh: boolean, allNeg: boolean, stride: number): string[] {
  const L: string[] = [];
  const xtl = u8 ? 'uxtl' : 'sxtl';
  for (let t = 0; t < 9; t++) L.push(`ld1 {v${t}.8h}, [%[w]], %[ws]`);
  L.push('dup v24.8h, %w[yzp]', 'dup v25.8b, %w[amin]', 'dup v26.8b, %w[amax]');
  const load = (base: number) => {
    for (let k = 0; k < 3; k++) L.push(`ld1 {v${base + k}.8b}, [%[r${k}]], %[cb]`);
    for (let k = 0; k < 3; k++) L.push(`${xtl} v${base + k}.8h, v${base + k}.8b`);
  };
  const out = (o: number, cols: number[]) => {
    const lo = 18 + 2 * o;
    L.push(`ld1 {v${lo}.4s, v${lo + 1}.4s}, [%[b]]`);
    for (let kx = 0; kx < 3; kx++)
      for (let ky = 0; ky < 3; ky++) {
        const c = cols[kx]! + ky;
        const t = ky * 3 + kx;
        L.push(`smlal v${lo}.4s, v${c}.4h, v${t}.4h`, `smlal2 v${lo + 1}.4s, v${c}.8h, v${t}.8h`);
      }
  };
  if (stride === 1) {
    load(9);
    load(12);
    L.push('1:');
    load(15);
    out(0, [9, 12, 15]);
    load(9);
    out(1, [12, 15, 9]);
    load(12);
    out(2, [15, 9, 12]);
  } else {
    // stride 2: the window's last column is the next window's first
    load(9);
    L.push('1:');
    load(12);
    load(15);
    out(0, [9, 12, 15]);
    load(9);
    load(12);
    out(1, [15, 9, 12]);
    load(15);
    load(9);
    out(2, [12, 15, 9]);
  }
  const accs = [18, 19, 20, 21, 22, 23];
  const par = (a: number) => (a % 2 === 0 ? 27 : 28);
  if (hasLsh) {
    L.push('ld1 {v27.4s, v28.4s}, [%[l]]');
    for (const a of accs) L.push(`sshl v${a}.4s, v${a}.4s, v${par(a)}.4s`);
  }
  L.push('ld1 {v27.4s, v28.4s}, [%[m]]');
  for (const a of accs) L.push(`sqrdmulh v${a}.4s, v${a}.4s, v${par(a)}.4s`);
  L.push('ld1 {v27.4s, v28.4s}, [%[nr]]');
  for (const [i, a] of accs.entries()) {
    const t = 29 + (i % 3);
    if (allNeg) L.push(`cmlt v${t}.4s, v${a}.4s, #0`);
    else L.push(`and v${t}.16b, v${a}.16b, v${par(a)}.16b`, `sshr v${t}.4s, v${t}.4s, #31`);
    L.push(`sqadd v${a}.4s, v${a}.4s, v${t}.4s`, `srshl v${a}.4s, v${a}.4s, v${par(a)}.4s`);
  }
  for (let o = 0; o < 3; o++) {
    const t = 29 + o;
    L.push(`sqxtn v${t}.4h, v${18 + 2 * o}.4s`, `sqxtn2 v${t}.8h, v${19 + 2 * o}.4s`, `sqadd v${t}.8h, v${t}.8h, v24.8h`);
    L.push(`${u8 ? 'sqxtun' : 'sqxtn'} v${t}.8b, v${t}.8h`, `${u8 ? 'umax' : 'smax'} v${t}.8b, v${t}.8b, v25.8b`, `${u8 ? 'umin' : 'smin'} v${t}.8b, v${t}.8b, v26.8b`);
    L.push(`st1 {v${t}.8b}, [%[y]], %[cb]`);
  }
  L.push('subs %[n], %[n], #1', 'b.ne 1b');
  return L;
}

function selectDepthwise(op: DepthwiseConv2DOp, ctx: EmitContext, g: WindowGeometry): OpEmission | null {
  if (g.kH !== 3 || g.kW !== 3 || g.strideH !== g.strideW || (g.strideH !== 1 && g.strideH !== 2) || g.depthMultiplier !== 1) return null;
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const C = g.inC;
  const cb = quant ? 8 : 4;
  const ncb = Math.floor(C / cb);
  if (ncb === 0) return null;
  const wv = weightValues(op, ctx, dtype);
  const bv = biasValues(op, ctx, C, quant);
  if (!wv || !bv) return null;
  if (quant && !quantChannelsOk(op, C)) return null;
  const cpad = ceil(C, cb);
  const packed = new Array<number>(9 * cpad).fill(0);
  for (let t = 0; t < 9; t++) for (let c = 0; c < C; c++) packed[t * cpad + c] = wv.w[t * C + c]!;
  const [oyLo, oyHi] = interior(g.outH, g.inH, g.strideH, g.padTop);
  const [oxLo, oxHi] = interior(g.outW, g.inW, g.strideW, g.padLeft);
  const args = [ctx.arena(xT.id, false)];
  let hasLsh = false;
  if (quant) {
    const xZp = zeroPoint(xT);
    const raw = new Int32Array(cpad);
    const adj = new Int32Array(cpad);
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let t = 0; t < 9; t++) s = wrap(s + wv.w[t * C + c]!);
      raw[c] = bv[c]!;
      adj[c] = wrap(bv[c]! - Math.imul(xZp, s));
    }
    args.push(ctx.table('nw', Int16Array.from(packed)), ctx.table('nbiasin', adj), ctx.table('nbias', raw));
    const q = quantArgs(op, ctx, yT, C, cpad);
    hasLsh = q.hasLsh;
    args.push(q.args[0]!, q.args[1]!, q.args[2]!, String(xZp), ...q.args.slice(3));
  } else {
    args.push(ctx.table('nw', Float32Array.from(packed)), ctx.table('nbias', Float32Array.from({ length: cpad }, (_, i) => (i < C ? bv[i]! : 0))));
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  const rq = quant ? requireRequant(op) : null;
  const allNeg = rq !== null && rq.shift.every((v) => v < 0);
  const dwAsm = quant ? asmText(dwQAsm(dtype === 'uint8', hasLsh, allNeg, g.strideH)) : '';
  // `_rn`: every shift is a right shift (the assembly's rounding fix-up is a compare), part of the name so kernels dedupe correctly
  const kernel = `mobilec_dwconv_3x3${strideTag(g.strideH, g.strideW)}_${op.padding}_${DTYPE_TAG[dtype]}${hasLsh ? '_lsh' : ''}${allNeg ? '_rn' : ''}_neon_${g.inH}x${g.inW}x${C}`;
  return {
    family: 'dwconv_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? 'int16 widened' : 'f32',
      quant,
      dtype,
      t: cType(dtype),
      isU8: dtype === 'uint8' ? 1 : 0,
      hasLsh: hasLsh ? 1 : 0,
      padding: op.padding,
      s: g.strideH,
      s1: g.strideH === 1,
      ih: g.inH, iw: g.inW, c: C, oh: g.outH, ow: g.outW, pt: g.padTop, pl: g.padLeft,
      cb, ncb, cpad,
      tailC: C - ncb * cb,
      c0Tail: ncb * cb,
      oyLo, oyHi, oyHiM1: oyHi - 1, oxLo, oxHi, oxHiM1: oxHi - 1,
      dwAsm,
      clobbers: CLOBBERS(32),
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * C * 9,
    // One output row at a time, every channel block; reads only the rows of that row's windows.
    streaming: { pixelBlock: g.outW },
  };
}

// ---------------------------------------------------------------- conv (first layer), aarch64 register tiles

interface ConvTile {
  readonly P: number; // pixels per tile
  readonly Q: number; // output-channel quads per tile
  readonly segRegs: number; // vector registers holding one input row segment
  readonly segAlloc: number; // elements one segment load reads
}

/** Picks P pixels x Q quads so accumulators, one row segment and the tap's weights fit 32 vector registers. */
function convTileShape(g: WindowGeometry, quant: boolean): ConvTile | null {
  const Q = g.outC <= 4 ? 1 : g.outC <= 8 ? 2 : 4;
  for (const P of Q === 4 ? [4, 2] : [8, 4, 2]) {
    const SL = ((P - 1) * g.strideW + g.kW) * g.inC;
    const segRegs = quant ? Math.ceil(SL / 8) : Math.ceil(SL / 4);
    const wRegs = quant ? Math.ceil(Q / 2) : Q;
    if (P * Q + segRegs + wRegs <= 30) {
      return { P, Q, segRegs, segAlloc: quant ? 16 * Math.ceil(segRegs / 2) : 4 * segRegs };
    }
  }
  return null;
}

/** The float32 tile as aarch64 assembly: accumulators v16.. (pixel-major), segment v0-v7, weights v8-v11/v12-v15. */
function convF32Asm(g: WindowGeometry, P: number, Q: number, segRegs: number): string[] {
  const L: string[] = [];
  const acc = (p: number, q: number) => 16 + p * Q + q;
  const list = (lo: number, n: number) => (n === 1 ? `{v${lo}.4s}` : `{v${lo}.4s-v${lo + n - 1}.4s}`);
  for (let p = 0; p < P; p++) L.push(`ld1 ${list(acc(p, 0), Q)}, [%[b]]`);
  let wsel = 0;
  for (let ky = 0; ky < g.kH; ky++) {
    L.push(`ldr %[xr], [%[r], #${8 * ky}]`);
    for (let j = 0; j < segRegs; j += 4) {
      const n = Math.min(4, segRegs - j);
      L.push(`ld1 ${list(j, n)}, [%[xr]]${j + 4 < segRegs ? ', #64' : ''}`);
    }
    for (let kx = 0; kx < g.kW; kx++) {
      for (let c = 0; c < g.inC; c++) {
        const wr = wsel++ % 2 === 0 ? 8 : 12;
        L.push(`ld1 ${list(wr, Q)}, [%[w]], #${16 * Q}`);
        for (let q = 0; q < Q; q++)
          for (let p = 0; p < P; p++) {
            const e = (p * g.strideW + kx) * g.inC + c;
            L.push(`fmla v${acc(p, q)}.4s, v${wr + q}.4s, v${e >> 2}.s[${e & 3}]`);
          }
      }
    }
  }
  L.push('ld2r {v8.4s, v9.4s}, [%[a]]');
  for (let k = 0; k < P * Q; k++) L.push(`fmax v${16 + k}.4s, v${16 + k}.4s, v8.4s`);
  for (let k = 0; k < P * Q; k++) L.push(`fmin v${16 + k}.4s, v${16 + k}.4s, v9.4s`);
  for (let p = 0; p < P; p++) L.push(`st1 ${list(acc(p, 0), Q)}, [%[y]], %[ys]`);
  return L;
}

/**
 * The int8/uint8 tile as aarch64 assembly: accumulators v16.. (pixel-major), a row segment widened
 * (minus the input zero point) into v0-v3, weights (int16) v8-v9/v12-v13, SMLAL/SMLAL2 by element;
 * requantization in registers, the zero point added in int16 and the clamp done in 8 bits.
 */
function convQAsm(g: WindowGeometry, P: number, Q: number, segRegs: number, u8: boolean, hasLsh: boolean, allNeg: boolean): string[] {
  const L: string[] = [];
  const acc = (p: number, q: number) => 16 + p * Q + q;
  const list = (lo: number, n: number, a: string) => (n === 1 ? `{v${lo}.${a}}` : `{v${lo}.${a}-v${lo + n - 1}.${a}}`);
  const sub = u8 ? 'usubl' : 'ssubl';
  for (let p = 0; p < P; p++) L.push(`ld1 ${list(acc(p, 0), Q, '4s')}, [%[b]]`);
  L.push('dup v6.16b, %w[xzp]');
  let wsel = 0;
  for (let ky = 0; ky < g.kH; ky++) {
    L.push(`ldr %[xr], [%[r], #${8 * ky}]`);
    L.push(`ld1 ${list(4, Math.ceil(segRegs / 2), '16b')}, [%[xr]]`);
    for (let j = 0; j < segRegs; j++) L.push(`${sub}${j % 2 ? '2' : ''} v${j}.8h, v${4 + (j >> 1)}.${j % 2 ? '16b' : '8b'}, v6.${j % 2 ? '16b' : '8b'}`);
    for (let kx = 0; kx < g.kW; kx++) {
      for (let c = 0; c < g.inC; c++) {
        const wr = wsel++ % 2 === 0 ? 8 : 12;
        L.push(`ld1 ${list(wr, Q / 2, '8h')}, [%[w]], #${8 * Q}`);
        for (let q = 0; q < Q; q++)
          for (let p = 0; p < P; p++) {
            const e = (p * g.strideW + kx) * g.inC + c;
            L.push(`${q % 2 ? 'smlal2' : 'smlal'} v${acc(p, q)}.4s, v${wr + (q >> 1)}.${q % 2 ? '8h' : '4h'}, v${e >> 3}.h[${e & 7}]`);
          }
      }
    }
  }
  L.push(...convQEpilogue(P, Q, u8, hasLsh, allNeg));
  return L;
}

/** Requantization, int16 zero point, 8-bit clamp and stores of the P x Q accumulators v16.. (v0-v15 free). */
function convQEpilogue(P: number, Q: number, u8: boolean, hasLsh: boolean, allNeg: boolean): string[] {
  const L: string[] = [];
  const acc = (p: number, q: number) => 16 + p * Q + q;
  const list = (lo: number, n: number, a: string) => (n === 1 ? `{v${lo}.${a}}` : `{v${lo}.${a}-v${lo + n - 1}.${a}}`);
  const all = Array.from({ length: P * Q }, (_, k) => [16 + k, k % Q] as const);
  if (hasLsh) {
    L.push(`ld1 ${list(8, Q, '4s')}, [%[l]]`);
    for (const [a, q] of all) L.push(`sshl v${a}.4s, v${a}.4s, v${8 + q}.4s`);
  }
  L.push(`ld1 ${list(0, Q, '4s')}, [%[m]]`, `ld1 ${list(4, Q, '4s')}, [%[n]]`);
  for (const [a, q] of all) L.push(`sqrdmulh v${a}.4s, v${a}.4s, v${q}.4s`);
  for (const [a, q] of all) {
    const t = a % 2 ? 9 : 8;
    if (allNeg) L.push(`cmlt v${t}.4s, v${a}.4s, #0`);
    else L.push(`and v${t}.16b, v${a}.16b, v${4 + q}.16b`, `sshr v${t}.4s, v${t}.4s, #31`);
    L.push(`sqadd v${a}.4s, v${a}.4s, v${t}.4s`, `srshl v${a}.4s, v${a}.4s, v${4 + q}.4s`);
  }
  L.push('dup v10.8h, %w[yzp]', 'dup v11.16b, %w[amin]', 'dup v12.16b, %w[amax]');
  const [nar, nar2, mx, mn] = u8 ? ['sqxtun', 'sqxtun2', 'umax', 'umin'] : ['sqxtn', 'sqxtn2', 'smax', 'smin'];
  for (let p = 0; p < P; p++) {
    L.push(`sqxtn v14.4h, v${acc(p, 0)}.4s`, `sqxtn2 v14.8h, v${acc(p, 1)}.4s`, 'sqadd v14.8h, v14.8h, v10.8h');
    if (Q === 4) {
      L.push(`sqxtn v15.4h, v${acc(p, 2)}.4s`, `sqxtn2 v15.8h, v${acc(p, 3)}.4s`, 'sqadd v15.8h, v15.8h, v10.8h');
      L.push(`${nar} v14.8b, v14.8h`, `${nar2} v14.16b, v15.8h`, `${mx} v14.16b, v14.16b, v11.16b`, `${mn} v14.16b, v14.16b, v12.16b`, 'st1 {v14.16b}, [%[y]], %[ys]');
    } else {
      L.push(`${nar} v14.8b, v14.8h`, `${mx} v14.8b, v14.8b, v11.8b`, `${mn} v14.8b, v14.8b, v12.8b`, 'st1 {v14.8b}, [%[y]], %[ys]');
    }
  }
  return L;
}

/**
 * rpi5 int8: the tile with SDOT by element, four taps of a kernel row per instruction (taps past the
 * row have zero weights); each row segment is loaded at the byte shifts that 4-align every pixel's window.
 */
function convSdotAsm(g: WindowGeometry, P: number, hasLsh: boolean, allNeg: boolean): string[] | null {
  const rowTaps = g.kW * g.inC;
  const G = Math.ceil(rowTaps / 4);
  const shifts = [...new Set(Array.from({ length: P }, (_, p) => (p * g.strideW * g.inC) % 4))].sort();
  if (shifts.length > 4) return null;
  for (let p = 0; p < P; p++) {
    const off = p * g.strideW * g.inC;
    if (off - (off % 4) + 4 * G > 32) return null;
  }
  const L: string[] = [];
  const acc = (p: number, q: number) => 16 + p * 4 + q;
  for (let p = 0; p < P; p++) L.push(`ld1 {v${acc(p, 0)}.4s-v${acc(p, 3)}.4s}, [%[b]]`);
  let wsel = 0;
  for (let ky = 0; ky < g.kH; ky++) {
    L.push(`ldr %[xr], [%[r], #${8 * ky}]`);
    for (const [ci, sh] of shifts.entries()) {
      if (sh === 0) L.push(`ld1 {v${2 * ci}.16b, v${2 * ci + 1}.16b}, [%[xr]]`);
      else L.push(`add %[xs], %[xr], #${sh}`, `ld1 {v${2 * ci}.16b, v${2 * ci + 1}.16b}, [%[xs]]`);
    }
    for (let gi = 0; gi < G; gi++) {
      const wr = wsel++ % 2 === 0 ? 8 : 12;
      L.push(`ld1 {v${wr}.16b-v${wr + 3}.16b}, [%[w]], #64`);
      for (let q = 0; q < 4; q++)
        for (let p = 0; p < P; p++) {
          const off = p * g.strideW * g.inC;
          const ci = shifts.indexOf(off % 4);
          const pos = off - (off % 4) + 4 * gi;
          L.push(`sdot v${acc(p, q)}.4s, v${wr + q}.16b, v${2 * ci + (pos >> 4)}.4b[${(pos & 15) >> 2}]`);
        }
    }
  }
  L.push(...convQEpilogue(P, 4, false, hasLsh, allNeg));
  return L;
}

/** The fully unrolled tile: P pixels x 4Q channels over every tap, row segments loaded once per kernel row. */
function convTileSource(fn: string, g: WindowGeometry, tile: ConvTile, dtype: ActDType, hasLsh: boolean, allNeg: boolean, sdot: string[] | null): string {
  const { P, Q, segRegs } = tile;
  const quant = dtype !== 'float32';
  const OCB = 4 * Q;
  const L: string[] = [];
  const t = cType(dtype);
  const acc = (p: number, q: number) => `a${p}_${q}`;
  L.push(`MOBILEC_NEON_INLINE void ${fn}_tile(const ${t} *const *r, const ${sdot ? 'int8_t' : quant ? 'int16_t' : 'float'} *w, const ${quant ? 'int32_t' : 'float'} *bias,`);
  if (quant) L.push('    const int32_t *mult, const int32_t *lsh, const int32_t *rsh, int32_t x_zp, int32_t y_zp, int32_t act_min, int32_t act_max,');
  else L.push('    float act_min, float act_max,');
  L.push(`    ${t} *y, int ys)`, '{');
  // Opaque weight pointer: keeps GCC from hoisting the (loop-invariant) weights out of the pixel loop into stack spills.
  L.push('    __asm__("" : "+r"(w));');
  if (quant) L.push('    (void)lsh;');
  if (!quant && P * Q <= 16 && segRegs <= 8) {
    L.push(`    const float a[2] = { act_min, act_max };`, '    const float *xr;', `    long ysb = (long)ys * 4;`);
    L.push('    __asm__ __volatile__(', asmText(convF32Asm(g, P, Q, segRegs)));
    L.push('        : [w] "+r"(w), [y] "+r"(y), [xr] "=&r"(xr)', '        : [r] "r"(r), [b] "r"(bias), [a] "r"(a), [ys] "r"(ysb)', `        : "memory", "cc", ${CLOBBERS(32)});`, '}');
    return L.join('\n');
  }
  if (sdot) {
    L.push('    const int8_t *xr, *xs;', `    long ysb = (long)ys;`, '    (void)x_zp;');
    L.push('    __asm__ __volatile__(', asmText(sdot));
    L.push('        : [w] "+r"(w), [y] "+r"(y), [xr] "=&r"(xr), [xs] "=&r"(xs)');
    L.push('        : [r] "r"(r), [b] "r"(bias), [m] "r"(mult), [l] "r"(lsh), [n] "r"(rsh), [ys] "r"(ysb),');
    L.push('          [yzp] "r"(y_zp), [amin] "r"(act_min), [amax] "r"(act_max)');
    L.push(`        : "memory", "cc", ${CLOBBERS(32)});`, '}');
    return L.join('\n');
  }
  if (quant && (Q === 2 || Q === 4) && P * Q <= 16 && segRegs <= 4) {
    L.push('    const int8_t *xr;', `    long ysb = (long)ys;`);
    L.push('    __asm__ __volatile__(', asmText(convQAsm(g, P, Q, segRegs, dtype === 'uint8', hasLsh, allNeg)));
    L.push('        : [w] "+r"(w), [y] "+r"(y), [xr] "=&r"(xr)');
    L.push('        : [r] "r"(r), [b] "r"(bias), [m] "r"(mult), [l] "r"(lsh), [n] "r"(rsh), [ys] "r"(ysb),');
    L.push('          [xzp] "r"(x_zp), [yzp] "r"(y_zp), [amin] "r"(act_min), [amax] "r"(act_max)');
    L.push(`        : "memory", "cc", ${CLOBBERS(32)});`, '}');
    return L.join('\n');
  }
  const vt = quant ? 'int32x4_t' : 'float32x4_t';
  for (let q = 0; q < Q; q++) L.push(`    const ${vt} b${q} = ${quant ? 'vld1q_s32' : 'vld1q_f32'}(bias + ${4 * q});`);
  for (let p = 0; p < P; p++) L.push(`    ${vt} ${Array.from({ length: Q }, (_, q) => `${acc(p, q)} = b${q}`).join(', ')};`);
  if (quant) {
    L.push(dtype === 'uint8' ? '    const uint8x16_t zp = vdupq_n_u8((uint8_t)x_zp);' : '    const int8x16_t zp = vdupq_n_s8((int8_t)x_zp);');
  }
  for (let ky = 0; ky < g.kH; ky++) {
    L.push('    {');
    L.push(`        const ${t} *xr = r[${ky}];`);
    if (quant) {
      for (let j = 0; j < segRegs; j += 2) {
        if (dtype === 'uint8') {
          L.push(`        const uint8x16_t v${j} = vld1q_u8(xr + ${8 * j});`);
          L.push(`        const int16x8_t s${j} = vreinterpretq_s16_u16(vsubl_u8(vget_low_u8(v${j}), vget_low_u8(zp)));`);
          if (j + 1 < segRegs) L.push(`        const int16x8_t s${j + 1} = vreinterpretq_s16_u16(vsubl_high_u8(v${j}, zp));`);
        } else {
          L.push(`        const int8x16_t v${j} = vld1q_s8(xr + ${8 * j});`);
          L.push(`        const int16x8_t s${j} = vsubl_s8(vget_low_s8(v${j}), vget_low_s8(zp));`);
          if (j + 1 < segRegs) L.push(`        const int16x8_t s${j + 1} = vsubl_high_s8(v${j}, zp);`);
        }
      }
    } else {
      for (let j = 0; j < segRegs; j++) L.push(`        const float32x4_t s${j} = vld1q_f32(xr + ${4 * j});`);
    }
    for (let kx = 0; kx < g.kW; kx++) {
      for (let c = 0; c < g.inC; c++) {
        const tap = (ky * g.kW + kx) * g.inC + c;
        L.push('        {');
        if (quant) {
          if (Q === 1) L.push(`            const int16x4_t w0 = vld1_s16(w + ${tap * OCB});`);
          else for (let k = 0; k < Q / 2; k++) L.push(`            const int16x8_t w${k} = vld1q_s16(w + ${tap * OCB + 8 * k});`);
        } else {
          for (let q = 0; q < Q; q++) L.push(`            const float32x4_t w${q} = vld1q_f32(w + ${tap * OCB + 4 * q});`);
        }
        for (let p = 0; p < P; p++) {
          const e = (p * g.strideW + kx) * g.inC + c;
          for (let q = 0; q < Q; q++) {
            const a = acc(p, q);
            if (!quant) L.push(`            ${a} = vfmaq_laneq_f32(${a}, w${q}, s${e >> 2}, ${e & 3});`);
            else if (Q === 1) L.push(`            ${a} = vmlal_laneq_s16(${a}, w0, s${e >> 3}, ${e & 7});`);
            else if (q % 2 === 0) L.push(`            ${a} = vmlal_laneq_s16(${a}, vget_low_s16(w${q >> 1}), s${e >> 3}, ${e & 7});`);
            else L.push(`            ${a} = vmlal_high_laneq_s16(${a}, w${q >> 1}, s${e >> 3}, ${e & 7});`);
          }
        }
        L.push('        }');
      }
    }
    L.push('    }');
  }
  if (!quant) {
    L.push('    {', '        const float32x4_t lo = vdupq_n_f32(act_min), hi = vdupq_n_f32(act_max);');
    for (let p = 0; p < P; p++)
      for (let q = 0; q < Q; q++) L.push(`        vst1q_f32(y + ${p} * ys + ${4 * q}, vminq_f32(vmaxq_f32(${acc(p, q)}, lo), hi));`);
    L.push('    }');
  } else {
    L.push('    {');
    for (let q = 0; q < Q; q++) {
      L.push(`        const int32x4_t m${q} = vld1q_s32(mult + ${4 * q}), n${q} = vld1q_s32(rsh + ${4 * q});`);
      if (hasLsh) L.push(`        const int32x4_t l${q} = vld1q_s32(lsh + ${4 * q});`);
    }
    L.push('        const int16x8_t zq = vdupq_n_s16((int16_t)y_zp);');
    if (dtype === 'uint8') L.push('        const uint8x16_t lo = vdupq_n_u8((uint8_t)act_min), hi = vdupq_n_u8((uint8_t)act_max);');
    else L.push('        const int8x16_t lo = vdupq_n_s8((int8_t)act_min), hi = vdupq_n_s8((int8_t)act_max);');
    const rq = (p: number, q: number) => {
      const x = hasLsh ? `vshlq_s32(${acc(p, q)}, l${q})` : acc(p, q);
      return `mobilec_neon_mbqm(${x}, m${q}, n${q}, n${q}, 0)`;
    };
    for (let p = 0; p < P; p++) {
      L.push('        {');
      // int16 pairs of quads, saturating; zero point added in int16 (saturating), then narrowed and clamped in 8 bits
      const halves: string[] = [];
      for (let q = 0; q < Q; q += 2) {
        const h = q + 1 < Q ? `vcombine_s16(vqmovn_s32(${rq(p, q)}), vqmovn_s32(${rq(p, q + 1)}))` : `vcombine_s16(vqmovn_s32(${rq(p, q)}), vdup_n_s16(0))`;
        L.push(`            const int16x8_t h${q >> 1} = vqaddq_s16(${h}, zq);`);
        halves.push(`h${q >> 1}`);
      }
      const nar = (h: string) => (dtype === 'uint8' ? `vqmovun_s16(${h})` : `vqmovn_s16(${h})`);
      if (dtype === 'uint8') {
        if (Q === 4) L.push(`            vst1q_u8((uint8_t *)y + ${p} * ys, vminq_u8(vmaxq_u8(vcombine_u8(${nar('h0')}, ${nar('h1')}), lo), hi));`);
        else if (Q === 2) L.push(`            vst1_u8((uint8_t *)y + ${p} * ys, vmin_u8(vmax_u8(${nar('h0')}, vget_low_u8(lo)), vget_low_u8(hi)));`);
        else L.push(`            { uint8x8_t v = vmin_u8(vmax_u8(${nar('h0')}, vget_low_u8(lo)), vget_low_u8(hi)); vst1_lane_u32((uint32_t *)(void *)(y + ${p} * ys), vreinterpret_u32_u8(v), 0); }`);
      } else {
        if (Q === 4) L.push(`            vst1q_s8(y + ${p} * ys, vminq_s8(vmaxq_s8(vcombine_s8(${nar('h0')}, ${nar('h1')}), lo), hi));`);
        else if (Q === 2) L.push(`            vst1_s8(y + ${p} * ys, vmin_s8(vmax_s8(${nar('h0')}, vget_low_s8(lo)), vget_low_s8(hi)));`);
        else L.push(`            { int8x8_t v = vmin_s8(vmax_s8(${nar('h0')}, vget_low_s8(lo)), vget_low_s8(hi)); vst1_lane_u32((uint32_t *)(void *)(y + ${p} * ys), vreinterpret_u32_s8(v), 0); }`);
      }
      L.push('        }');
    }
    L.push('    }');
  }
  L.push('}');
  return L.join('\n');
}

// ---------------------------------------------------------------- conv (first layer)

function selectConv(op: Conv2DOp, ctx: EmitContext, g: WindowGeometry, fl: Flavour): OpEmission | null {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const wv = weightValues(op, ctx, dtype);
  const bv = biasValues(op, ctx, g.outC, quant);
  if (!wv || !bv) return null;
  if (quant && !quantChannelsOk(op, g.outC)) return null;
  const { kH, kW, inC, outC } = g;
  const tile = fl.aarch64 ? convTileShape(g, quant) : null;
  if (tile) return selectConvTiled(op, ctx, g, dtype, wv, bv, tile, fl.dotprod && dtype === 'int8' && wv.int8);
  const VB = fl.aarch64 ? 8 : 4;
  const Q = Math.ceil(outC / 4);
  const NB = Math.floor(Math.floor(outC / 4) / VB);
  const VT = Q - NB * VB;
  const ocpad = 4 * Q;
  const packed = new Array<number>(kH * kW * inC * ocpad).fill(0);
  for (let oc = 0; oc < outC; oc++)
    for (let t = 0; t < kH * kW; t++) for (let c = 0; c < inC; c++) packed[(t * inC + c) * ocpad + oc] = wv.w[(oc * kH * kW + t) * inC + c]!;
  const args = [ctx.arena(xT.id, false)];
  let hasLsh = false;
  if (quant) {
    args.push(ctx.table('nw', Int16Array.from(packed)), ctx.table('nbias', Int32Array.from({ length: ocpad }, (_, i) => (i < outC ? bv[i]! : 0))));
    const q = quantArgs(op, ctx, yT, outC, ocpad);
    hasLsh = q.hasLsh;
    args.push(q.args[0]!, q.args[1]!, q.args[2]!, String(zeroPoint(xT)), ...q.args.slice(3));
  } else {
    args.push(ctx.table('nw', Float32Array.from(packed)), ctx.table('nbias', Float32Array.from({ length: ocpad }, (_, i) => (i < outC ? bv[i]! : 0))));
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  const kernel =
    `mobilec_conv_${kH}x${kW}${strideTag(g.strideH, g.strideW)}_${op.padding}_${DTYPE_TAG[dtype]}${hasLsh ? '_lsh' : ''}_neon` +
    `_${g.inH}x${g.inW}x${inC}_${outC}`;
  return {
    family: 'conv_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? 'int16 widened' : 'f32',
      quant,
      dtype,
      t: cType(dtype),
      w: quant ? 'int16_t' : 'float',
      b: quant ? 'int32_t' : 'float',
      isU8: dtype === 'uint8' ? 1 : 0,
      hasLsh: hasLsh ? 1 : 0,
      padding: op.padding,
      ih: g.inH, iw: g.inW, ic: inC, oh: g.outH, ow: g.outW, oc: outC,
      kh: kH, kw: kW, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft,
      ocpad, vb: VB, nb: NB, vt: VT, blockOc: 4 * VB, tailValid: outC - NB * 4 * VB,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * outC * kH * kW * inC,
  };
}


/** aarch64: P pixels x 4Q channels register tiles over zero-point padded row segments (see convTileSource). */
function selectConvTiled(
  op: Conv2DOp,
  ctx: EmitContext,
  g: WindowGeometry,
  dtype: ActDType,
  wv: { w: Float64Array | Int32Array },
  bv: Float64Array,
  tile: ConvTile,
  sdotOk: boolean,
): OpEmission {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const quant = dtype !== 'float32';
  const { kH, kW, inC, outC } = g;
  const OCB = 4 * tile.Q;
  const nOcb = Math.ceil(outC / OCB);
  const ocpad = nOcb * OCB;
  const T = kH * kW * inC;
  const hasLshPre = quant && requireRequant(op).shift.some((v) => v > 0);
  // every right shift nonzero: the sign fix-up of the rounding shift is a compare
  const allNeg = quant && requireRequant(op).shift.every((v) => v < 0);
  const sdot = sdotOk && tile.P === 4 && tile.Q === 4 ? convSdotAsm(g, tile.P, hasLshPre, allNeg) : null;
  let packed: number[];
  const rowTaps = kW * inC;
  const G = Math.ceil(rowTaps / 4);
  if (sdot) {
    // [block][ky][group of 4 row taps][16 channels][4 taps], zero past the row
    packed = new Array<number>(nOcb * kH * G * 64).fill(0);
    for (let oc = 0; oc < outC; oc++) {
      const b = Math.floor(oc / OCB);
      for (let ky = 0; ky < kH; ky++)
        for (let j = 0; j < rowTaps; j++) packed[((b * kH + ky) * G + (j >> 2)) * 64 + (oc % OCB) * 4 + (j & 3)] = wv.w[oc * T + ky * rowTaps + j]!;
    }
  } else {
    packed = new Array<number>(nOcb * T * OCB).fill(0);
    for (let oc = 0; oc < outC; oc++) {
      const b = Math.floor(oc / OCB);
      for (let t = 0; t < T; t++) packed[(b * T + t) * OCB + (oc % OCB)] = wv.w[oc * T + t]!;
    }
  }
  const args = [ctx.arena(xT.id, false)];
  let hasLsh = false;
  if (quant) {
    const xZp = zeroPoint(xT);
    // SDOT multiplies raw activations: the zero point goes into the bias (borders are padded with it).
    const bias = Int32Array.from({ length: ocpad }, (_, i) => {
      if (i >= outC) return 0;
      if (!sdot) return bv[i]!;
      let sw = 0;
      for (let t = 0; t < T; t++) sw = wrap(sw + wv.w[i * T + t]!);
      return wrap(bv[i]! - Math.imul(xZp, sw));
    });
    args.push(ctx.table('nw', sdot ? Int8Array.from(packed) : Int16Array.from(packed)), ctx.table('nbias', bias));
    const q = quantArgs(op, ctx, yT, outC, ocpad);
    hasLsh = q.hasLsh;
    args.push(q.args[0]!, q.args[1]!, q.args[2]!, String(xZp), ...q.args.slice(3));
  } else {
    args.push(ctx.table('nw', Float32Array.from(packed)), ctx.table('nbias', Float32Array.from({ length: ocpad }, (_, i) => (i < outC ? bv[i]! : 0))));
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  const kernel =
    `mobilec_conv_${kH}x${kW}${strideTag(g.strideH, g.strideW)}_${op.padding}_${DTYPE_TAG[dtype]}${hasLsh ? '_lsh' : ''}${allNeg ? '_rn' : ''}_neon_${sdot ? 'sdot' : 'tile'}${tile.P}x${OCB}` +
    `_${g.inH}x${g.inW}x${inC}_${outC}`;
  return {
    family: 'conv_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? `int16 widened, ${tile.P} pixels x ${OCB} channels` : `f32, ${tile.P} pixels x ${OCB} channels`,
      fast: true,
      tileSrc: convTileSource(kernel, g, tile, dtype, hasLsh, allNeg, sdot),
      quant,
      dtype,
      t: cType(dtype),
      w: sdot ? 'int8_t' : quant ? 'int16_t' : 'float',
      b: quant ? 'int32_t' : 'float',
      padding: op.padding,
      ih: g.inH, iw: g.inW, ic: inC, oh: g.outH, ow: g.outW, oc: outC,
      kh: kH, kw: kW, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft,
      P: tile.P, ocb: OCB, nOcb, wstride: sdot ? kH * G * 64 : T * OCB, segAlloc: sdot ? 36 : tile.segAlloc,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * outC * kH * kW * inC,
  };
}

// ---------------------------------------------------------------- average pool

function selectAvgPool(op: Pool2DOp, ctx: EmitContext, g: WindowGeometry): OpEmission | null {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const range = quant ? quantActRange(op, dtype) : floatActRange(op.activation);
  const kernel = `mobilec_avgpool_${g.kH}x${g.kW}${strideTag(g.strideH, g.strideW)}_${op.padding}_${DTYPE_TAG[dtype]}_neon_${g.inH}x${g.inW}x${g.inC}`;
  return {
    family: 'avgpool_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? 'int32 sums' : 'f32',
      quant,
      dtype,
      t: cType(dtype),
      isU8: dtype === 'uint8' ? 1 : 0,
      padding: op.padding,
      ih: g.inH, iw: g.inW, c: g.inC, oh: g.outH, ow: g.outW,
      kh: g.kH, kw: g.kW, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft,
      cb: quant ? 8 : 4,
      tailC: g.inC % (quant ? 8 : 4),
    },
    call: `${kernel}(${[ctx.arena(xT.id, false), ...range, ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
  };
}

// ---------------------------------------------------------------- provider

function select(op: Op, ctx: EmitContext, fl: Flavour): OpEmission | null {
  switch (op.kind) {
    case 'conv2d': {
      const g = windowGeometry(ctx.graph, op);
      if (g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1) {
        return selectGemm(op, ctx, { K: g.inC, cout: g.outC, npix: g.outH * g.outW, family: 'pw', shape: `${g.outH}x${g.outW}x${g.inC}_${g.outC}` }, fl);
      }
      return selectConv(op, ctx, g, fl);
    }
    case 'fully_connected': {
      const w = ctx.tensor(op.inputs[1]!);
      if (w.shape.length !== 2) return null;
      const [out, inn] = w.shape as [number, number];
      const batch = elementCount(ctx.tensor(op.inputs[0]!).shape) / inn;
      if (!Number.isInteger(batch)) return null;
      return selectGemm(op, ctx, { K: inn, cout: out, npix: batch, family: 'fc', shape: `${batch}x${inn}_${out}` }, fl);
    }
    case 'average_pool2d':
      return selectAvgPool(op, ctx, windowGeometry(ctx.graph, op));
    case 'depthwise_conv2d':
      return selectDepthwise(op, ctx, windowGeometry(ctx.graph, op));
    default:
      return null;
  }
}

function flavour(ctx: EmitContext, dotprod: boolean): Flavour {
  return { dotprod, aarch64: ctx.target.cc.startsWith('aarch64') };
}

/** rpi4 (aarch64) and rpi-armv7 (32-bit): NEON without dot product. */
export const neonKernels: IsaKernels = {
  isa: 'neon',
  select: (op, ctx) => select(op, ctx, flavour(ctx, false)),
};

/** rpi5: NEON with SDOT. */
export const neonDotprodKernels: IsaKernels = {
  isa: 'neon-dotprod',
  select: (op, ctx) => select(op, ctx, flavour(ctx, true)),
};
