/**
 * Softmax on aarch64 NEON. int8/uint8: every difference to the row maximum
 * is one of 256 values, so exp (TFLite's fixed point, computed here at
 * compile time) is a table: the sum of exps is three byte-plane TBL lookups
 * (exact integer sums), the outputs a 256-entry byte table computed per row
 * with SQRDMULH / SRSHL (operands non-negative: bit-exact), then looked up.
 * float32: a vector exp (range reduction and a degree-5 polynomial).
 */

export interface SoftmaxSrc {
  fn: string;
  t: string;
  depth: number;
  outer: number;
  isU8: number;
  chunks?: number[];
  tmin?: string;
}

/** 256-entry byte lookup of idx in tables tb[0..k-1] (64 entries each; zero past them). */
function lookup(tb: string, k: number, idx: string, off: string[]): string {
  let e = `vqtbl4q_u8(${tb}[0], ${idx})`;
  for (let j = 1; j < k; j++) e = `vqtbx4q_u8(${e}, ${tb}[${j}], vsubq_u8(${idx}, ${off[j]}))`;
  return e;
}

const load4 = (dst: string, src: string) =>
  `${dst}.val[0] = vld1q_u8(${src}); ${dst}.val[1] = vld1q_u8(${src} + 16); ${dst}.val[2] = vld1q_u8(${src} + 32); ${dst}.val[3] = vld1q_u8(${src} + 48);`;

export function softmaxQuantSource(p: SoftmaxSrc): string {
  const { fn, t, depth: D, outer, isU8 } = p;
  const chunks = p.chunks!;
  const tail = D % 16;
  const nv = Math.floor(D / 16);
  const L: string[] = [];
  L.push(`/* softmax over ${D} values, ${outer} rows, ${isU8 ? 'uint8' : 'int8'}: exp of the 256 possible differences to the row`);
  L.push(' * maximum tabled at compile time (TFLite fixed point); the sum of exps as byte planes of Rescale<12>(exp)');
  L.push(` * (TBL chunks ${chunks.join('/')}), the outputs as a per-row 256-entry byte table. */`);
  L.push('#if defined(__aarch64__)', '#include <arm_neon.h>', '#endif');
  L.push(`static void ${fn}(const ${t} *x, const uint8_t *planes, const int32_t *ex, ${t} *y)`, '{');
  L.push('    int r;');
  L.push('    for (r = 0; r < ' + outer + '; ++r) {');
  L.push(`        const uint8_t *xb = (const uint8_t *)(x + r * ${D});`);
  L.push(`        uint8_t *yb = (uint8_t *)(y + r * ${D});`);
  L.push('        int32_t shifted_scale;', '        int num_bits_over_unit, exponent, c;', '        uint32_t sum = 0;');
  L.push('#if defined(__aarch64__)');
  L.push('        const uint8x16_t k64 = vdupq_n_u8(64), k128 = vdupq_n_u8(128), k192 = vdupq_n_u8(192);');
  L.push('        uint8x16x4_t tb[4];', '        uint8_t otab[256];', '        uint8x16_t vm, idx;');
  if (tail) L.push('        uint8x16_t tidx, tout;');
  const off = ['', 'k64', 'k128', 'k192'];
  // max
  if (isU8) {
    L.push('        vm = vld1q_u8(xb);', `        for (c = 16; c + 16 <= ${D}; c += 16) {`, '            vm = vmaxq_u8(vm, vld1q_u8(xb + c));', '        }');
    if (tail) L.push(`        vm = vmaxq_u8(vm, vld1q_u8(xb + ${D - 16}));`);
    L.push('        vm = vdupq_n_u8(vmaxvq_u8(vm));');
  } else {
    L.push('        {', '            int8x16_t m = vld1q_s8((const int8_t *)xb);', `            for (c = 16; c + 16 <= ${D}; c += 16) {`);
    L.push('                m = vmaxq_s8(m, vld1q_s8((const int8_t *)xb + c));', '            }');
    if (tail) L.push(`            m = vmaxq_s8(m, vld1q_s8((const int8_t *)xb + ${D - 16}));`);
    L.push('            vm = vreinterpretq_u8_s8(vdupq_n_s8(vmaxvq_s8(m)));', '        }');
  }
  // sum of exps: byte planes
  if (tail) {
    L.push(`        tidx = vsubq_u8(vm, vld1q_u8(xb + ${D - 16}));`);
  }
  for (let pl = 0; pl < 3; pl++) {
    const k = chunks[pl]!;
    if (!k) continue;
    L.push('        {', '            uint32x4_t a32 = vdupq_n_u32(0);');
    for (let j = 0; j < k; j++) L.push(`            ${load4(`tb[${j}]`, `planes + ${pl * 256 + 64 * j}`)}`);
    for (let v0 = 0; v0 < nv; v0 += 128) {
      const v1 = Math.min(nv, v0 + 128);
      L.push('            {', '                uint16x8_t a16 = vdupq_n_u16(0);');
      L.push(`                for (c = ${16 * v0}; c < ${16 * v1}; c += 16) {`);
      L.push('                    idx = vsubq_u8(vm, vld1q_u8(xb + c));');
      L.push(`                    a16 = vpadalq_u8(a16, ${lookup('tb', k, 'idx', off)});`, '                }');
      L.push('                a32 = vpadalq_u16(a32, a16);', '            }');
    }
    if (tail) {
      // the last 16 values overlap the vectors: lanes already counted are masked off
      const mask = Array.from({ length: 16 }, (_, j) => (j < 16 - tail ? 0 : 255));
      L.push('            {', `                static const uint8_t mask[16] = { ${mask.join(', ')} };`);
      L.push(`                a32 = vpadalq_u16(a32, vpaddlq_u8(vandq_u8(vld1q_u8(mask), ${lookup('tb', k, 'tidx', off)})));`, '            }');
    }
    L.push(`            sum += vaddvq_u32(a32) << ${8 * pl};`, '        }');
  }
  L.push('#else');
  L.push('        int32_t mx = ' + (isU8 ? '0' : '-128') + ';');
  L.push(`        for (c = 0; c < ${D}; ++c) {`);
  L.push(`            const int32_t v = ${isU8 ? 'xb[c]' : '(int8_t)xb[c]'};`, '            mx = v > mx ? v : mx;', '        }');
  L.push(`        for (c = 0; c < ${D}; ++c) {`);
  L.push(`            const int d = mx - ${isU8 ? 'xb[c]' : '(int8_t)xb[c]'};`);
  L.push('            sum += (uint32_t)planes[d] | (uint32_t)planes[256 + d] << 8 | (uint32_t)planes[512 + d] << 16;', '        }');
  L.push('#endif');
  L.push('        shifted_scale = mobilec_reciprocal((int32_t)sum, 12, &num_bits_over_unit);');
  L.push('        exponent = num_bits_over_unit + 31 - 8;');
  L.push('#if defined(__aarch64__)');
  L.push('        {');
  L.push('            /* non-negative operands: SQRDMULH is srdhm, SRSHL the rounding divide (a shift of 32+ gives 0) */');
  L.push('            const int32x4_t vs = vdupq_n_s32(shifted_scale), vsh = vdupq_n_s32(-exponent);');
  L.push(`            const int16x8_t vz = vdupq_n_s16(${p.tmin});`);
  L.push('            int k;', '            for (k = 0; k < 256; k += 16) {');
  L.push('                const int32x4_t a0 = vrshlq_s32(vqrdmulhq_s32(vld1q_s32(ex + k), vs), vsh);');
  L.push('                const int32x4_t a1 = vrshlq_s32(vqrdmulhq_s32(vld1q_s32(ex + k + 4), vs), vsh);');
  L.push('                const int32x4_t a2 = vrshlq_s32(vqrdmulhq_s32(vld1q_s32(ex + k + 8), vs), vsh);');
  L.push('                const int32x4_t a3 = vrshlq_s32(vqrdmulhq_s32(vld1q_s32(ex + k + 12), vs), vsh);');
  L.push('                const int16x8_t h0 = vqaddq_s16(vcombine_s16(vqmovn_s32(a0), vqmovn_s32(a1)), vz);');
  L.push('                const int16x8_t h1 = vqaddq_s16(vcombine_s16(vqmovn_s32(a2), vqmovn_s32(a3)), vz);');
  if (isU8) L.push('                vst1q_u8(otab + k, vcombine_u8(vqmovun_s16(h0), vqmovun_s16(h1)));');
  else L.push('                vst1q_u8(otab + k, vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1))));');
  L.push('            }', '        }');
  for (let j = 0; j < 4; j++) L.push(`        ${load4(`tb[${j}]`, `otab + ${64 * j}`)}`);
  // the overlapping tail is looked up before any store (y may be x)
  if (tail) L.push(`        tout = ${lookup('tb', 4, 'tidx', off)};`);
  L.push(`        for (c = 0; c + 16 <= ${D}; c += 16) {`, '            idx = vsubq_u8(vm, vld1q_u8(xb + c));');
  L.push(`            vst1q_u8(yb + c, ${lookup('tb', 4, 'idx', off)});`, '        }');
  if (tail) L.push(`        vst1q_u8(yb + ${D - 16}, tout);`);
  L.push('#else');
  L.push('        {');
  L.push('            int32_t mx = ' + (isU8 ? '0' : '-128') + ';');
  L.push(`            for (c = 0; c < ${D}; ++c) {`);
  L.push(`                const int32_t v = ${isU8 ? 'xb[c]' : '(int8_t)xb[c]'};`, '                mx = v > mx ? v : mx;', '            }');
  L.push(`            for (c = 0; c < ${D}; ++c) {`);
  L.push(`                const int32_t out = (exponent > 31 ? 0 : mobilec_rdbpot(mobilec_srdhm(shifted_scale, ex[mx - ${isU8 ? 'xb[c]' : '(int8_t)xb[c]'}]), exponent)) + (${p.tmin});`);
  L.push(`                yb[c] = (uint8_t)(${t})mobilec_clamp(out, ${p.tmin}, ${isU8 ? 255 : 127});`, '            }', '        }');
  L.push('#endif');
  L.push('    }', '}');
  return L.join('\n');
}

export function softmaxFloatSource(p: SoftmaxSrc): string {
  const { fn, depth: D, outer } = p;
  const tail = D % 4;
  const L: string[] = [];
  L.push(`/* softmax over ${D} values, ${outer} rows, float32: exp(beta (x - max)) by range reduction to`);
  L.push(' * [-ln2/2, ln2/2] and a degree-5 polynomial (Cephes expf), scaled by 2^n in the exponent bits. */');
  L.push('#if defined(__aarch64__)', '#include <arm_neon.h>');
  L.push(`static inline float32x4_t ${fn}_exp(float32x4_t t)`, '{');
  L.push('    const float32x4_t u = vmaxq_f32(t, vdupq_n_f32(-87.0f));');
  L.push('    const float32x4_t n = vrndnq_f32(vmulq_f32(u, vdupq_n_f32(1.44269504088896341f)));');
  L.push('    const float32x4_t r = vfmsq_f32(vfmsq_f32(u, n, vdupq_n_f32(0.693359375f)), n, vdupq_n_f32(-2.12194440e-4f));');
  L.push('    float32x4_t q = vdupq_n_f32(1.9875691500e-4f);');
  L.push('    q = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), q, r);');
  L.push('    q = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), q, r);');
  L.push('    q = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), q, r);');
  L.push('    q = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), q, r);');
  L.push('    q = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), q, r);');
  L.push('    q = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), q, vmulq_f32(r, r));');
  L.push('    return vreinterpretq_f32_s32(vaddq_s32(vreinterpretq_s32_f32(q), vshlq_n_s32(vcvtq_s32_f32(n), 23)));', '}');
  L.push('#else', '#include <math.h>', '#endif');
  L.push(`static void ${fn}(const float *x, float beta, float *y)`, '{');
  L.push('    int r, c;');
  L.push(`    for (r = 0; r < ${outer}; ++r) {`);
  L.push(`        const float *xp = x + r * ${D};`, `        float *yp = y + r * ${D};`);
  L.push('#if defined(__aarch64__)');
  L.push('        float32x4_t vm = vld1q_f32(xp), vb = vdupq_n_f32(beta), vsum = vdupq_n_f32(0.0f), vinv;');
  if (tail) L.push('        float32x4_t et;');
  L.push(`        for (c = 4; c + 4 <= ${D}; c += 4) {`, '            vm = vmaxq_f32(vm, vld1q_f32(xp + c));', '        }');
  if (tail) L.push(`        vm = vmaxq_f32(vm, vld1q_f32(xp + ${D - 4}));`);
  L.push('        vm = vdupq_n_f32(vmaxvq_f32(vm));');
  // overlapping tail first (y may be x)
  if (tail) L.push(`        et = ${fn}_exp(vmulq_f32(vb, vsubq_f32(vld1q_f32(xp + ${D - 4}), vm)));`);
  L.push(`        for (c = 0; c + 4 <= ${D}; c += 4) {`);
  L.push(`            const float32x4_t e = ${fn}_exp(vmulq_f32(vb, vsubq_f32(vld1q_f32(xp + c), vm)));`);
  L.push('            vst1q_f32(yp + c, e);', '            vsum = vaddq_f32(vsum, e);', '        }');
  if (tail) {
    const mask = Array.from({ length: 4 }, (_, j) => (j < 4 - tail ? '0u' : '0xffffffffu'));
    L.push('        {', `            static const uint32_t mask[4] = { ${mask.join(', ')} };`);
    L.push('            vsum = vaddq_f32(vsum, vreinterpretq_f32_u32(vandq_u32(vld1q_u32(mask), vreinterpretq_u32_f32(et))));');
    L.push(`            vst1q_f32(yp + ${D - 4}, et);`, '        }');
  }
  L.push('        vinv = vdupq_n_f32(vaddvq_f32(vsum));');
  if (tail) L.push(`        et = vdivq_f32(vld1q_f32(yp + ${D - 4}), vinv);`);
  L.push(`        for (c = 0; c + 4 <= ${D}; c += 4) {`, '            vst1q_f32(yp + c, vdivq_f32(vld1q_f32(yp + c), vinv));', '        }');
  if (tail) L.push(`        vst1q_f32(yp + ${D - 4}, et);`);
  L.push('#else');
  L.push('        float max_in_row = xp[0], sum = 0.0f;');
  L.push(`        for (c = 1; c < ${D}; ++c) {`, '            max_in_row = xp[c] > max_in_row ? xp[c] : max_in_row;', '        }');
  L.push(`        for (c = 0; c < ${D}; ++c) {`, '            yp[c] = expf(beta * (xp[c] - max_in_row));', '            sum += yp[c];', '        }');
  L.push(`        for (c = 0; c < ${D}; ++c) {`, '            yp[c] = yp[c] / sum;', '        }');
  L.push('#endif');
  L.push('    }', '}');
  return L.join('\n');
}
