/**
 * A standalone harness for the vectorized NEON requantization: a small C
 * program built from the real NEON code (the intrinsics of
 * templates/kernels/neon_common.c.hbs, and on aarch64 inline assembly from
 * the real `requantAsm`), fed 4-lane records of (accumulator, multiplier,
 * shift, zero point, clamp) from a file, writing every intermediate result
 * back, so a test can check each lane against src/numerics/fixedpoint.ts.
 *
 * Record in (RECORD_IN int32): acc[4], mult[4], lsh[4], rsh[4] (split as
 * quantArgs does: lsh = max(s, 0), rsh = min(s, 0)), y_zp, act_min,
 * act_max, flags (FLAG_*).
 *
 * Record out (RECORD_OUT int32):
 *   [0..4)   intrinsics: mobilec_neon_mbqm (raw MultiplyByQuantizedMultiplier)
 *   [4..8)   intrinsics: mobilec_neon_requant4 (zero point added, clamped, int32)
 *   [8..12)  intrinsics: mobilec_neon_store4 bytes (int8 or uint8, widened)
 *   [12..20) intrinsics: mobilec_neon_store8 bytes of (requant4, requant4)
 *   [20..24) asm, mixed-shift fix-up form (AND + SSRA): raw requantized lanes   (aarch64 only)
 *   [24..32) asm, mixed-shift fix-up form (AND + SSRA): narrowed bytes, two copies
 *   [32..36) asm, all-right-shift ('allNeg') form: raw lanes                (aarch64, FLAG_ALL_NEG)
 *   [36..44) asm, all-right-shift ('allNeg') form: narrowed bytes, two copies
 * Lanes a build does not produce are left 0.
 */
import { render } from '../../src/codegen/templates.js';
import { asmText, CLOBBERS, QUANT_ASM_INPUTS, QUANT_ASM_PARAMS, requantAsm } from '../../src/codegen/isa/neon/shared.js';
import { multiplyByQuantizedMultiplier } from '../../src/numerics/fixedpoint.js';

export const RECORD_IN = 20;
export const RECORD_OUT = 44;

export const FLAG_U8 = 1;
/** Left shifts applied (the kernels' hasLsh: some channel has shift > 0). */
export const FLAG_LSH = 2;
/** Every shift < 0: also run the all-right-shift form of the fix-up (SSRA alone). */
export const FLAG_ALL_NEG = 4;

export interface RqCase {
  readonly acc: readonly number[]; // 4 lanes
  readonly mult: readonly number[];
  readonly shift: readonly number[];
  readonly zp: number;
  readonly actMin: number;
  readonly actMax: number;
  readonly u8: boolean;
  readonly hasLsh: boolean;
  /** Where the case came from (edge family or 'random'), for failure messages. */
  readonly tag: string;
}

export function isAllNeg(c: RqCase): boolean {
  return c.shift.every((s) => s < 0);
}

export function encodeCases(cases: readonly RqCase[]): Uint8Array {
  const a = new Int32Array(cases.length * RECORD_IN);
  cases.forEach((c, i) => {
    const o = i * RECORD_IN;
    for (let l = 0; l < 4; l++) {
      a[o + l] = c.acc[l]!;
      a[o + 4 + l] = c.mult[l]!;
      a[o + 8 + l] = Math.max(c.shift[l]!, 0);
      a[o + 12 + l] = Math.min(c.shift[l]!, 0);
    }
    a[o + 16] = c.zp;
    a[o + 17] = c.actMin;
    a[o + 18] = c.actMax;
    a[o + 19] = (c.u8 ? FLAG_U8 : 0) | (c.hasLsh ? FLAG_LSH : 0) | (isAllNeg(c) ? FLAG_ALL_NEG : 0);
  });
  return new Uint8Array(a.buffer);
}

/** What every lane must be, from the TypeScript reference (as src/reference/kernels/common.ts requantizes). */
export function expectedLane(c: RqCase, lane: number): { raw: number; out: number } {
  const raw = multiplyByQuantizedMultiplier(c.acc[lane]!, c.mult[lane]!, c.shift[lane]!);
  const v = raw + c.zp;
  return { raw, out: v < c.actMin ? c.actMin : v > c.actMax ? c.actMax : v };
}

/**
 * One asm variant: load the lanes, the real `requantAsm` sequence, store the raw lanes, then the
 * kernels' narrowing: int8 as the s8/sdot pointwise tiles do it (zero point by LD1R from an int16,
 * {min, max} by LD2R from int8 bytes, SQXTN / SQADD .8h / SQXTN / SMAX / SMIN), uint8 as
 * convQEpilogue and the depthwise tile do it (DUP from registers, SQXTN / SQADD .8h / SQXTUN /
 * UMAX / UMIN).
 */
function asmVariant(name: string, hasLsh: boolean, allNeg: boolean, u8: boolean): string {
  const L: string[] = ['ld1 {v0.4s}, [%[acc]]', 'ld1 {v1.4s}, [%[m]]', 'ld1 {v2.4s}, [%[r]]'];
  if (hasLsh) L.push('ld1 {v3.4s}, [%[l]]');
  requantAsm(L, 0, 1, 2, hasLsh ? 3 : null, 4, allNeg);
  L.push('st1 {v0.4s}, [%[raw]]');
  if (u8) {
    L.push('dup v10.8h, %w[yzp]', 'dup v11.16b, %w[amin]', 'dup v12.16b, %w[amax]');
    L.push('sqxtn v14.4h, v0.4s', 'sqxtn2 v14.8h, v0.4s', 'sqadd v14.8h, v14.8h, v10.8h');
    L.push('sqxtun v14.8b, v14.8h', 'umax v14.8b, v14.8b, v11.8b', 'umin v14.8b, v14.8b, v12.8b');
  } else {
    L.push('ld1r {v10.8h}, [%[z]]', 'ld2r {v11.16b, v12.16b}, [%[mm]]');
    L.push('sqxtn v14.4h, v0.4s', 'sqxtn2 v14.8h, v0.4s', 'sqadd v14.8h, v14.8h, v10.8h');
    L.push('sqxtn v14.8b, v14.8h', 'smax v14.8b, v14.8b, v11.8b', 'smin v14.8b, v14.8b, v12.8b');
  }
  L.push('st1 {v14.8b}, [%[y]]');
  return `static void ${name}(const int32_t *acc, ${QUANT_ASM_PARAMS}, int32_t y_zp, int32_t act_min, int32_t act_max, int32_t *raw, uint8_t *y)
{
    __asm__ __volatile__(
${asmText(L)}
        :
        : [acc] "r"(acc), ${QUANT_ASM_INPUTS}, [yzp] "r"(y_zp), [amin] "r"(act_min), [amax] "r"(act_max),
          [raw] "r"(raw), [y] "r"(y)
        : "memory", ${CLOBBERS(16)});
}`;
}

const asmName = (hasLsh: boolean, allNeg: boolean, u8: boolean) => `rq_asm${hasLsh ? '_lsh' : ''}${allNeg ? '_rn' : ''}_${u8 ? 'u8' : 's8'}`;

/** The C source of the harness (the asm part is compiled on aarch64 only). */
export function harnessSource(): string {
  const variants: string[] = [];
  for (const hasLsh of [false, true])
    for (const allNeg of [false, true])
      for (const u8 of [false, true]) if (!(hasLsh && allNeg)) variants.push(asmVariant(asmName(hasLsh, allNeg, u8), hasLsh, allNeg, u8));
  const call = (allNeg: boolean, rawAt: number) => {
    const pick = (hasLsh: boolean, u8: boolean) => `${asmName(hasLsh, allNeg, u8)}(r, r + 4, lsh, r + 12, &zp16, mm, r[16], r[17], r[18], raw, b)`;
    const lines = allNeg
      ? [`if (u8) ${pick(false, true)}; else ${pick(false, false)};`]
      : [`if (has_lsh) { if (u8) ${pick(true, true)}; else ${pick(true, false)}; }`, `else { if (u8) ${pick(false, true)}; else ${pick(false, false)}; }`];
    return `        {
            int32_t raw[4];
            uint8_t b[8];
            ${lines.join('\n            ')}
            for (l = 0; l < 4; ++l) o[${rawAt} + l] = raw[l];
            for (l = 0; l < 8; ++l) o[${rawAt + 4} + l] = u8 ? (int32_t)b[l] : (int32_t)(int8_t)b[l];
        }`;
  };
  return `/* Edge-value harness for the NEON requantization (test/helpers/requantHarness.ts). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
${render('kernels/neon_common.c.hbs', {})}

#if defined(__aarch64__)
${variants.join('\n\n')}
#endif

int main(int argc, char **argv)
{
    FILE *f;
    long size, n, i;
    int32_t *in, *out;
    if (argc != 3) return 2;
    f = fopen(argv[1], "rb");
    if (!f) return 3;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    n = size / (long)(${RECORD_IN} * sizeof(int32_t));
    in = (int32_t *)malloc((size_t)size + 1);
    out = (int32_t *)calloc((size_t)n * ${RECORD_OUT} + 1, sizeof(int32_t));
    if (!in || !out || fread(in, 1, (size_t)size, f) != (size_t)size) return 4;
    fclose(f);
    for (i = 0; i < n; ++i) {
        const int32_t *r = in + i * ${RECORD_IN};
        int32_t *o = out + i * ${RECORD_OUT};
        const int u8 = (r[19] & ${FLAG_U8}) != 0;
        const int has_lsh = (r[19] & ${FLAG_LSH}) != 0;
        /* As quantArgs passes them: without left shifts the lsh table is the rsh table. */
        const int32_t *lsh = has_lsh ? r + 8 : r + 12;
        const int16_t zp16 = (int16_t)r[16];
        const int8_t mm[2] = { (int8_t)r[17], (int8_t)r[18] };
        const int32x4_t acc = vld1q_s32(r);
        int32x4_t raw, q;
        unsigned char b4[4], b8[8];
        int l;
        (void)zp16;
        (void)mm;
        /* has_lsh is a literal at every call, as in the kernels ({{hasLsh}}). */
        if (has_lsh) {
            raw = mobilec_neon_mbqm(acc, vld1q_s32(r + 4), vld1q_s32(lsh), vld1q_s32(r + 12), 1);
            q = mobilec_neon_requant4(acc, r + 4, lsh, r + 12, 0, 1, r[16], r[17], r[18]);
        } else {
            raw = mobilec_neon_mbqm(acc, vld1q_s32(r + 4), vdupq_n_s32(0), vld1q_s32(r + 12), 0);
            q = mobilec_neon_requant4(acc, r + 4, lsh, r + 12, 0, 0, r[16], r[17], r[18]);
        }
        vst1q_s32(o, raw);
        vst1q_s32(o + 4, q);
        mobilec_neon_store4(b4, q, 4, u8);
        mobilec_neon_store8(b8, q, q, 8, u8);
        for (l = 0; l < 4; ++l) o[8 + l] = u8 ? (int32_t)b4[l] : (int32_t)(int8_t)b4[l];
        for (l = 0; l < 8; ++l) o[12 + l] = u8 ? (int32_t)b8[l] : (int32_t)(int8_t)b8[l];
#if defined(__aarch64__)
${call(false, 20)}
        if (r[19] & ${FLAG_ALL_NEG})
${call(true, 32)}
#endif
    }
    f = fopen(argv[2], "wb");
    if (!f || fwrite(out, sizeof(int32_t), (size_t)n * ${RECORD_OUT}, f) != (size_t)n * ${RECORD_OUT}) return 5;
    fclose(f);
    free(in);
    free(out);
    return 0;
}
`;
}
