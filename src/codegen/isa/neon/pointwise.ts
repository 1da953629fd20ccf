/** Pointwise 1x1 convolution and fully connected on NEON: register-blocked GEMM tiles (aarch64 assembly where it pays). */
import type { Conv2DOp, FullyConnectedOp } from '../../../model/ir.js';
import type { EmitContext, OpEmission } from '../../types.js';
import { DTYPE_TAG, cType, floatActRange, requireRequant, zeroPoint } from '../../ops/common.js';
import { PACKED_CHANNELS, PACKED_PIXELS, f32DotTileSource, f32PackedTileSource, packF32Name, packF32Source, packF32Weights } from './packedF32.js';
import { S8_PACKED_CHANNELS, S8_PACKED_PIXELS, packS8Indices, packS8Name, packS8Source, packS8Weights, q16Epilogue, s8PackedTileSource, int8Clamp, clampTag, tileRequant, type Int8Clamp } from './packedS8.js';
import { selectUdot } from './udot.js';
import { selectPackedS8v7 } from './packedS8v7.js';
import { foldInputZeroPoint, weightedOperands, common, quantArgs, ceil, asmText, V, CLOBBERS, requantAsm, QUANT_ASM_PARAMS, QUANT_ASM_INPUTS, type Flavour } from './shared.js';


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
        : [x0] "+&r"(x), [x1] "+&r"(x1), [x2] "+&r"(x2), [x3] "+&r"(x3), [w] "+&r"(w), [y] "+&r"(y), [n] "+&r"(n)
        : [b] "r"(b), [a] "r"(a), [ys] "r"((long)${cout * 4})
        : "memory", "cc", ${CLOBBERS(32)});
}`;
}


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
        : [x0] "+&r"(x), [x1] "+&r"(x1), [x2] "+&r"(x2), [x3] "+&r"(x3), [w] "+&r"(w), [y] "+&r"(y), [n] "+&r"(n)
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
function sdotAsmTile(fn: string, K: number, cout: number, hasLsh: boolean, allNeg: boolean, clamp: Int8Clamp): string {
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
  q16Epilogue(L, hasLsh, allNeg, clamp);
  return `/* 4 pixels x 16 channels, K = ${K}: SDOT by element, requantized in registers. */
MOBILEC_NEON_INLINE void ${fn}(const int8_t *x, const int8_t *w, const int32_t *b, ${QUANT_ASM_PARAMS}, int8_t *y)
{
    const int8_t *x1 = x + ${K}, *x2 = x + ${2 * K}, *x3 = x + ${3 * K};
    long n = ${K / 16};
    __asm__ __volatile__(
${asmText(L)}
        : [x0] "+&r"(x), [x1] "+&r"(x1), [x2] "+&r"(x2), [x3] "+&r"(x3), [w] "+&r"(w), [y] "+&r"(y), [n] "+&r"(n)
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
export function selectGemm(op: Conv2DOp | FullyConnectedOp, ctx: EmitContext, gs: GemmShape, fl: Flavour): OpEmission | null {
  const { K, cout, npix } = gs;
  const ops = weightedOperands(op, ctx, cout);
  if (!ops || ops.wv.w.length !== K * cout) return null;
  const { xT, yT, dtype, quant, wv, bv } = ops;
  let mode: PwMode;
  if (!quant) mode = 'f32';
  else if (dtype === 'int8' && wv.int8 && fl.dotprod) mode = 'sdot';
  else if (dtype === 'int8' && wv.int8 && !wv.w.some((v) => v < -127)) mode = 's8';
  else mode = 's16';
  if (mode === 'f32' && fl.aarch64 && cout % PACKED_CHANNELS === 0 && K % 4 === 0) {
    return selectPackedF32(op, ctx, gs, (oc, k) => wv.w[oc * K + k]!, bv);
  }
  if (dtype === 'uint8' && fl.aarch64 && fl.dotprod && (ctx.tensor(op.inputs[1]!).quant?.zeroPoint.length ?? 1) <= 1) {
    const wZp = wv.wZp;
    const udot = selectUdot(op, ctx, gs, (oc, k) => wv.w[oc * K + k]! + wZp, wZp, bv);
    if (udot) return udot;
  }
  if (mode === 's8' && fl.aarch64 && !fl.dotprod && K % 16 === 0) {
    return selectPackedS8(op, ctx, gs, (oc, k) => wv.w[oc * K + k]!, bv);
  } else if (!fl.aarch64 && mode === 's8') {
    return selectPackedS8v7(op, ctx, gs, (oc, k) => wv.w[oc * K + k]!, bv);
  }
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
    biasSym = ctx.table('nbias', foldInputZeroPoint(bv, (oc, k) => wv.w[oc * K + k]!, K, cout, padded, xZp));
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
  // The SDOT tile's clamps: only those the activation range needs (part of the name: kernels dedupe by name).
  const sdotClamp = quant ? int8Clamp(requireRequant(op).actMin, requireRequant(op).actMax) : { min: true, max: true };
  const clampName = mode === 'sdot' ? clampTag(sdotClamp) : '';
  const kernel = `mobilec_${gs.family}_${DTYPE_TAG[dtype]}${mode === 'f32' ? '' : `_${mode}`}_neon_${P}x${VB}${hasLsh ? '_lsh' : ''}${allNeg ? '_rn' : ''}${clampName}_${gs.shape}`;
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
      asmFn = sdotAsmTile(asmName, K, cout, hasLsh, allNeg, sdotClamp);
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

/** float32 pointwise / FC with packed pixel blocks (see packedF32.ts): aarch64, cout % 8 == 0, K % 4 == 0. */
function selectPackedF32(op: Conv2DOp | FullyConnectedOp, ctx: EmitContext, gs: GemmShape, W: (oc: number, k: number) => number, bias: Float64Array): OpEmission {
  const { K, cout, npix } = gs;
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const full8 = Math.floor(npix / 8) > 0;
  const tail4 = npix % 8 >= 4;
  const tail1 = npix % 4 > 0;
  const kernel = `mobilec_${gs.family}_f32_packed_neon_8x8_${op.activation}_${gs.shape}`;
  const tile = (n: number) => `${kernel}_tile${n}`;
  const packFns: { guard: string; source: string }[] = [];
  const tileFns: string[] = [];
  if (full8) {
    packFns.push({ guard: `PACK8_F32_K${K}`, source: packF32Source(K, 2) });
    tileFns.push(f32PackedTileSource(tile(8), K, op.activation, 2));
  }
  if (tail4) {
    packFns.push({ guard: `PACK4_F32_K${K}`, source: packF32Source(K, 1) });
    tileFns.push(f32PackedTileSource(tile(4), K, op.activation, 1));
  }
  if (tail1) tileFns.push(f32DotTileSource(tile(1), K, op.activation));
  const packs = full8 || tail4;
  const args = [
    ctx.arena(xT.id, false),
    ctx.table('nw', packF32Weights(W, K, cout)),
    ctx.table('nbias', Float32Array.from(bias)),
    packs ? ctx.scratch('float', 4 * (full8 ? 8 : 4) * K) : '(float *)0',
    ctx.arena(yT.id, true),
  ];
  return {
    family: 'pw_packed_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      family: gs.family === 'pw' ? 'pointwise 1x1' : 'fully connected',
      mode: 'float32, packed pixel blocks',
      t: 'float',
      w: 'float',
      b: 'float',
      npix,
      k: K,
      cout,
      pc: PACKED_CHANNELS,
      nb: cout / PACKED_CHANNELS,
      blockW: PACKED_CHANNELS * K,
      ysBytes: 4 * cout,
      packFns,
      tileFns,
      full8,
      tail4,
      tail1,
      pack8: packF32Name(K, 2),
      pack4: packF32Name(K, 1),
      tile8: tile(8),
      tile4: tile(4),
      tile1: tile(1),
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * cout * K,
    // Each block (8 or 4 pixels, or one) is read in full before any of its outputs is written.
    ...(gs.family === 'pw' ? { streaming: { pixelBlock: PACKED_PIXELS } } : {}),
  };
}

/** int8 pointwise on rpi4 with packed 4-pixel blocks (see packedS8.ts): aarch64, cout % 16 == 0, K % 16 == 0. */
function selectPackedS8(op: Conv2DOp | FullyConnectedOp, ctx: EmitContext, gs: GemmShape, W: (oc: number, k: number) => number, bias: Float64Array): OpEmission {
  const { K, cout, npix } = gs;
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const xZp = zeroPoint(xT);
  // Channels padded to a whole tile: zero weights, and the last tile stores through a local buffer.
  const coutPad = ceil(cout, S8_PACKED_CHANNELS);
  const b = foldInputZeroPoint(bias, W, K, cout, coutPad, xZp);
  const { q, allNeg, clamp, tag } = tileRequant(op, ctx, yT, cout, coutPad);
  const kernel = `mobilec_${gs.family}_int8_s8_packed_neon_4x16${tag}_${gs.shape}`;
  const full = npix >= S8_PACKED_PIXELS;
  const tail = npix % S8_PACKED_PIXELS !== 0;
  const packFns: { guard: string; source: string }[] = [];
  const tileFns: string[] = [];
  if (full) {
    packFns.push({ guard: `PACK4_S8_K${K}`, source: packS8Source(K, 4) });
    tileFns.push(s8PackedTileSource(`${kernel}_tile4`, K, q.hasLsh, allNeg, clamp, 4));
  }
  if (tail) {
    packFns.push({ guard: `PACK1_S8_K${K}`, source: packS8Source(K, 1) });
    tileFns.push(s8PackedTileSource(`${kernel}_tile1`, K, q.hasLsh, allNeg, clamp, 1));
  }
  const args = [
    ctx.arena(xT.id, false),
    ctx.table('nw', packS8Weights((oc, k) => (oc < cout ? W(oc, k) : 0), K, coutPad)),
    ctx.table('nbias', b),
    ctx.table('nidx', packS8Indices()),
    ...q.args,
    ctx.scratch('int8_t', (full ? S8_PACKED_PIXELS : 1) * K * 4),
    ctx.arena(yT.id, true),
  ];
  return {
    family: 'pw_packed_s8_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      npix,
      k: K,
      cout,
      nb: Math.floor(cout / S8_PACKED_CHANNELS),
      tailC: cout % S8_PACKED_CHANNELS,
      c0Tail: cout - (cout % S8_PACKED_CHANNELS),
      blockW: S8_PACKED_CHANNELS * K,
      packFns,
      tileFns,
      pack4: packS8Name(K, 4),
      pack1: packS8Name(K, 1),
      tile4: `${kernel}_tile4`,
      tile1: `${kernel}_tile1`,
      full,
      tail,
      family: gs.family === 'pw' ? 'pointwise 1x1' : 'fully connected',
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * cout * K,
    // Each block of 4 pixels (or one) is read (packed) in full before any of its outputs is written.
    ...(gs.family === 'pw' ? { streaming: { pixelBlock: S8_PACKED_PIXELS } } : {}),
  };
}
