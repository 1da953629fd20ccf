/**
 * A standalone native harness for the AVX2 requantization: the real code
 * the quantized AVX2 kernels call (`mobilec_avx2_mbqm` and
 * `mobilec_avx2_narrow16` of templates/kernels/avx2_common.c.hbs, the
 * table encoding of src/codegen/isa/avx2/quant.ts), fed 8-lane records of
 * (accumulator, multiplier, shift) plus an output zero point and clamp,
 * writing every lane back, so a test can check each against
 * src/numerics/fixedpoint.ts.
 *
 * Record in (RECORD_IN int32): acc[8], then the 32-int32 table group
 * (multiplier, lsh, e, mask) as `rqGroups` encodes it, y_zp, act_min,
 * act_max, u8.
 * Record out (RECORD_OUT int32): [0..8) mbqm with the left shift applied
 * (ls = 1), [8..16) mbqm without it (ls = 0: only meaningful when no lane
 * shifts left), [16..32) the 16 narrowed bytes of narrow16(r, r) (ls = 1),
 * widened as int8 or uint8.
 */
import { render } from '../../src/codegen/templates.js';
import { roundingMask, RQ_GROUP } from '../../src/codegen/isa/avx2/quant.js';
import { multiplyByQuantizedMultiplier } from '../../src/numerics/fixedpoint.js';

export const RECORD_IN = 8 + RQ_GROUP + 4;
export const RECORD_OUT = 32;

export interface Avx2RqCase {
  readonly acc: readonly number[]; // 8 lanes
  readonly mult: readonly number[];
  readonly shift: readonly number[];
  readonly zp: number;
  readonly actMin: number;
  readonly actMax: number;
  readonly u8: boolean;
  readonly tag: string;
}

export function encodeAvx2Cases(cases: readonly Avx2RqCase[]): Uint8Array {
  const a = new Int32Array(cases.length * RECORD_IN);
  cases.forEach((c, i) => {
    const o = i * RECORD_IN;
    for (let l = 0; l < 8; l++) {
      const s = c.shift[l]!;
      const e = s < 0 ? -s : 0;
      a[o + l] = c.acc[l]!;
      a[o + 8 + l] = c.mult[l]!;
      a[o + 16 + l] = s > 0 ? s : 0;
      a[o + 24 + l] = e;
      a[o + 32 + l] = roundingMask(e);
    }
    a[o + 40] = c.zp;
    a[o + 41] = c.actMin;
    a[o + 42] = c.actMax;
    a[o + 43] = c.u8 ? 1 : 0;
  });
  return new Uint8Array(a.buffer);
}

/** What lane `l` must be: MultiplyByQuantizedMultiplier, then + zp and the clamp (as the reference kernels). */
export function expectedAvx2Lane(c: Avx2RqCase, l: number): { raw: number; out: number } {
  const raw = multiplyByQuantizedMultiplier(c.acc[l]!, c.mult[l]!, c.shift[l]!);
  const v = raw + c.zp;
  return { raw, out: v < c.actMin ? c.actMin : v > c.actMax ? c.actMax : v };
}

export function avx2HarnessSource(): string {
  return `/* Edge-value harness for the AVX2 requantization (test/helpers/avx2RequantHarness.ts). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
${render('kernels/avx2_common.c.hbs', {})}

static MOBILEC_AVX2_FN void one(const int32_t *r, int32_t *o)
{
    const __m256i acc = _mm256_loadu_si256((const __m256i *)r);
    const __m256i a = mobilec_avx2_mbqm(acc, r + 8, 1);
    const __m256i b = mobilec_avx2_mbqm(acc, r + 8, 0);
    const int u8 = r[43] != 0;
    unsigned char bytes[16];
    __m128i v;
    int l;
    _mm256_storeu_si256((__m256i *)o, a);
    _mm256_storeu_si256((__m256i *)(o + 8), b);
    if (u8) {
        v = mobilec_avx2_narrow16(a, a, _mm256_set1_epi16((short)r[40]), _mm256_set1_epi8((char)r[41]), _mm256_set1_epi8((char)r[42]), 1);
    } else {
        v = mobilec_avx2_narrow16(a, a, _mm256_set1_epi16((short)r[40]), _mm256_set1_epi8((char)r[41]), _mm256_set1_epi8((char)r[42]), 0);
    }
    _mm_storeu_si128((__m128i *)bytes, v);
    for (l = 0; l < 16; ++l) o[16 + l] = u8 ? (int32_t)bytes[l] : (int32_t)(int8_t)bytes[l];
}

int main(int argc, char **argv)
{
    FILE *f;
    long size, n, i;
    int32_t *in, *out;
    if (argc != 3) return 2;
    if (!__builtin_cpu_supports("avx2")) return 6;
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
    for (i = 0; i < n; ++i) one(in + i * ${RECORD_IN}, out + i * ${RECORD_OUT});
    f = fopen(argv[2], "wb");
    if (!f || fwrite(out, sizeof(int32_t), (size_t)n * ${RECORD_OUT}, f) != (size_t)n * ${RECORD_OUT}) return 5;
    fclose(f);
    free(in);
    free(out);
    return 0;
}
`;
}
