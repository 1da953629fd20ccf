/**
 * A standalone harness for the vectorized NEON requantization: a small C
 * program built from the real NEON code (the intrinsics of
 * templates/kernels/neon_common.c.hbs, and the inline-assembly epilogue
 * partials the kernels render: templates/partials/neon/requant_a64.hbs on
 * aarch64, requant_a32.hbs on armv7), fed 4-lane records of (accumulator,
 * multiplier, shift, zero point, clamp) from a file, writing every
 * intermediate result back, so a test can check each lane against
 * src/numerics/fixedpoint.ts.
 *
 * Record in (RECORD_IN int32): acc[4], mult[4], lsh[4], rsh[4] (split as
 * requantTable does: leftShift = max(s, 0), rightShift = min(s, 0)), y_zp,
 * act_min, act_max, flags (FLAG_*).
 *
 * Record out (RECORD_OUT int32):
 *   [0..4)   intrinsics: mobilec_neon_mbqm (raw MultiplyByQuantizedMultiplier)
 *   [4..8)   intrinsics: mobilec_neon_requant4 (zero point added, clamped, int32)
 *   [8..12)  intrinsics: mobilec_neon_store4 bytes (int8 or uint8, widened)
 *   [12..20) intrinsics: mobilec_neon_store8 bytes of (requant4, requant4)
 * then, for each fix-up spelling of the partial (ASM_FIXES: ssra, sqadd) at
 * 20 + 24·f, the inline assembly (aarch64 and armv7):
 *   [+0..4)   general form (masked fix-up; left shifts when FLAG_LSH): raw lanes
 *   [+4..12)  general form: narrowed bytes, two copies
 *   [+12..16) fast form `rn` (FLAG_ALL_NEG records only): raw lanes
 *   [+16..24) fast form `rn`: narrowed bytes, two copies
 * Lanes a build does not produce are left 0.
 */
import { render, renderSource } from '../../src/codegen/templates.js';
import { multiplyByQuantizedMultiplier } from '../../src/numerics/fixedpoint.js';

export const RECORD_IN = 20;
/** The fix-up spellings of the partials (`fix=`), in record order. */
export const ASM_FIXES = ['ssra', 'sqadd'] as const;
export const ASM_OUT = 20;
export const RECORD_OUT = ASM_OUT + 24 * ASM_FIXES.length;

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
 * One asm variant as a template: load the lanes, the epilogue partial as the kernels render it,
 * store the raw lanes, then a narrowing: int8 as the s8/sdot pointwise tiles do it (zero point by
 * LD1R from an int16, {min, max} by LD2R from int8 bytes, SQXTN / SQADD .8h / SQXTN / SMAX / SMIN),
 * uint8 as the depthwise tile does it (DUP from registers, SQXTN / SQADD .8h / SQXTUN / UMAX / UMIN);
 * on armv7 zero point and {min, max} loaded as for int8 (VLD1 / VLD2 to all lanes: fewer operands),
 * then VQMOVN / VQADD / VQMOVN(U) / VMAX / VMIN.
 */
const ASM_VARIANT = `static void {{name}}(const int32_t *acc, const int32_t *mult, const int32_t *lsh, const int32_t *rsh, const int16_t *zp, const int8_t *mm,
    int32_t y_zp, int32_t act_min, int32_t act_max, int32_t *raw, uint8_t *y)
{
{{#unless a64}}
    (void)y_zp;
    (void)act_min;
    (void)act_max;
{{/unless}}
    __asm__ __volatile__(
{{#if a64}}
        "ld1 {v0.4s}, [%[acc]]\\n\\t"
        "ld1 {v1.4s}, [%[m]]\\n\\t"
        "ld1 {v2.4s}, [%[r]]\\n\\t"
{{#if ls}}
        "ld1 {v3.4s}, [%[l]]\\n\\t"
{{/if}}
        {{> neon/requant_a64 acc=0 m=1 r=2 l=3 t=4 step="all"}}
        "st1 {v0.4s}, [%[raw]]\\n\\t"
        "sqxtn v14.4h, v0.4s\\n\\t"
        "sqxtn2 v14.8h, v0.4s\\n\\t"
{{#if u8}}
        "dup v10.8h, %w[yzp]\\n\\t"
        "dup v11.16b, %w[amin]\\n\\t"
        "dup v12.16b, %w[amax]\\n\\t"
        "sqadd v14.8h, v14.8h, v10.8h\\n\\t"
        "sqxtun v14.8b, v14.8h\\n\\t"
        "umax v14.8b, v14.8b, v11.8b\\n\\t"
        "umin v14.8b, v14.8b, v12.8b\\n\\t"
{{else}}
        "ld1r {v10.8h}, [%[z]]\\n\\t"
        "ld2r {v11.16b, v12.16b}, [%[mm]]\\n\\t"
        "sqadd v14.8h, v14.8h, v10.8h\\n\\t"
        "sqxtn v14.8b, v14.8h\\n\\t"
        "smax v14.8b, v14.8b, v11.8b\\n\\t"
        "smin v14.8b, v14.8b, v12.8b\\n\\t"
{{/if}}
        "st1 {v14.8b}, [%[y]]\\n\\t"
{{else}}
        "vld1.32 {d0-d1}, [%[acc]]\\n\\t"
        "vld1.32 {d2-d3}, [%[m]]\\n\\t"
        "vld1.32 {d4-d5}, [%[r]]\\n\\t"
{{#if ls}}
        "vld1.32 {d6-d7}, [%[l]]\\n\\t"
{{/if}}
        {{> neon/requant_a32 acc=0 m=1 r=2 l=3 t=4 step="all"}}
        "vst1.32 {d0-d1}, [%[raw]]\\n\\t"
        "vld1.16 {d10[], d11[]}, [%[z]]\\n\\t"
        "vld2.8 {d12[], d13[]}, [%[mm]]\\n\\t"
        "vqmovn.s32 d14, q0\\n\\t"
        "vqmovn.s32 d15, q0\\n\\t"
        "vqadd.s16 q7, q7, q5\\n\\t"
{{#if u8}}
        "vqmovun.s16 d16, q7\\n\\t"
        "vmax.u8 d16, d16, d12\\n\\t"
        "vmin.u8 d16, d16, d13\\n\\t"
{{else}}
        "vqmovn.s16 d16, q7\\n\\t"
        "vmax.s8 d16, d16, d12\\n\\t"
        "vmin.s8 d16, d16, d13\\n\\t"
{{/if}}
        "vst1.8 {d16}, [%[y]]\\n\\t"
{{/if}}
        :
        : [acc] "r"(acc), [m] "r"(mult), [l] "r"(lsh), [r] "r"(rsh), [z] "r"(zp), [mm] "r"(mm),
{{#if a64}}
          [yzp] "r"(y_zp), [amin] "r"(act_min), [amax] "r"(act_max),
{{/if}}
          [raw] "r"(raw), [y] "r"(y)
        : "memory", {{#if a64}}"v0", "v1", "v2", "v3", "v4", "v10", "v11", "v12", "v14"{{else}}"d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15", "d16"{{/if}});
}
`;

type AsmFix = (typeof ASM_FIXES)[number];
const asmName = (fix: AsmFix, ls: boolean, rn: boolean, u8: boolean) => `rq_${fix}${ls ? '_ls' : ''}${rn ? '_rn' : ''}_${u8 ? 'u8' : 's8'}`;

function asmVariants(a64: boolean): string {
  const out: string[] = [];
  for (const fix of ASM_FIXES)
    for (const ls of [false, true])
      for (const rn of [false, true])
        for (const u8 of [false, true]) if (!(ls && rn)) out.push(renderSource(ASM_VARIANT, { name: asmName(fix, ls, rn, u8), a64, fix, ls, rn, u8 }));
  return out.join('\n');
}

/** The C source of the harness (the asm part for the architecture it is compiled for). */
export function harnessSource(): string {
  const call = (fix: AsmFix, rn: boolean, rawAt: number) => {
    const pick = (ls: boolean, u8: boolean) => `${asmName(fix, ls, rn, u8)}(r, r + 4, lsh, r + 12, &zp16, mm, r[16], r[17], r[18], raw, b)`;
    const lines = rn
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
  const calls = ASM_FIXES.map(
    (fix, f) => `${call(fix, false, ASM_OUT + 24 * f)}
        if (r[19] & ${FLAG_ALL_NEG})
${call(fix, true, ASM_OUT + 24 * f + 12)}`,
  ).join('\n');
  return `/* Edge-value harness for the NEON requantization (test/helpers/requantHarness.ts). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
${render('kernels/neon_common.c.hbs', {})}

#if defined(__aarch64__)
${asmVariants(true)}
#else
${asmVariants(false)}
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
        /* As the kernels pass them: without left shifts the lsh table is the rsh table. */
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
${calls}
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
