/** The NEON row loops' assembly (aarch64): the tile loop of convLoopSource, by form. */
import { esize } from './plan.js';
import type { LoopSpec } from './rows.js';

/**
 * The tile loop as aarch64 assembly: n tiles of P pixels along one output row, every channel block
 * per tile; row pointers x0.. advance by register post-increment, weights and the per-block table
 * (bias[, lsh], mult, rsh) are rewound per tile. Returns null when an immediate does not fit.
 */
export function convLoopAsm(s: LoopSpec): string[] | null {
  const { g, tile, dtype, nOcb, sdot } = s;
  const { P, Q, segRegs } = tile;
  const quant = dtype !== 'float32';
  const OCB = 4 * Q;
  const es = esize(dtype);
  const ysub = (P * g.outC - OCB) * es;
  const yback = (nOcb - 1) * OCB * es;
  if (ysub > 4095 || yback > 4095) return null;
  if (s.packed) return convPackedSdotAsm(s, ysub, yback);
  const L: string[] = [];
  const acc = (p: number, q: number) => 16 + p * Q + q;
  const list = (lo: number, n: number, a: string) => (n === 1 ? `{v${lo}.${a}}` : `{v${lo}.${a}-v${lo + n - 1}.${a}}`);
  const u8 = dtype === 'uint8';
  // persistent constants
  if (!quant) L.push('ld2r {v12.4s, v13.4s}, [%[a]]');
  else if (s.mla) L.push('dup v14.8h, %w[yzp]');
  else {
    if (!sdot) L.push('dup v6.16b, %w[xzp]');
    L.push('dup v7.8h, %w[yzp]');
    if (s.clampLo) L.push('dup v12.16b, %w[amin]');
    if (s.clampHi) L.push('dup v13.16b, %w[amax]');
  }
  const yzpReg = s.mla ? 14 : 7;
  const [loReg, hiReg] = s.mla ? [12, 13] : [12, 13];
  L.push('1:', 'mov %[wp], %[w]', 'mov %[bp], %[bq]');
  const shifts = sdot ? [...new Set(Array.from({ length: P }, (_, p) => (p * g.strideW * g.inC) % 4))].sort() : [];
  const G = Math.ceil((g.kW * g.inC) / 4);
  for (let b = 0; b < nOcb; b++) {
    const last = b === nOcb - 1;
    for (let p = 0; p < P; p++) L.push(`ld1 ${list(acc(p, 0), Q, '4s')}, [%[bp]]${p === P - 1 ? `, #${16 * Q}` : ''}`);
    for (let ky = 0; ky < g.kH; ky++) {
      const xr = `%[x${ky}]`;
      const post = last ? ', %[xs]' : '';
      if (sdot) {
        // shifted loads first, the unshifted one (post-incremented) last
        const order = [...shifts.entries()].sort((a, b2) => (a[1] === 0 ? 1 : 0) - (b2[1] === 0 ? 1 : 0));
        let incremented = false;
        for (const [ci, sh] of order) {
          if (sh === 0) {
            L.push(`ld1 {v${2 * ci}.16b, v${2 * ci + 1}.16b}, [${xr}]${post}`);
            incremented = true;
          } else L.push(`ldur q${2 * ci}, [${xr}, #${sh}]`, `ldur q${2 * ci + 1}, [${xr}, #${sh + 16}]`);
        }
        if (last && !incremented) L.push(`add ${xr}, ${xr}, %[xs]`);
        for (let gi = 0; gi < G; gi++) {
          L.push(`ld1 {v8.16b-v11.16b}, [%[wp]], #64`);
          for (let q = 0; q < 4; q++)
            for (let p = 0; p < P; p++) {
              const off = p * g.strideW * g.inC;
              const ci = shifts.indexOf(off % 4);
              const pos = off - (off % 4) + 4 * gi;
              L.push(`sdot v${acc(p, q)}.4s, v${8 + q}.16b, v${2 * ci + (pos >> 4)}.4b[${(pos & 15) >> 2}]`);
            }
        }
      } else if (!quant) {
        for (let j = 4; j < segRegs; j += 2) {
          if (j + 1 < segRegs) L.push(`ldp q${j}, q${j + 1}, [${xr}, #${16 * j}]`);
          else L.push(`ldr q${j}, [${xr}, #${16 * j}]`);
        }
        L.push(`ld1 ${list(0, Math.min(4, segRegs), '4s')}, [${xr}]${post}`);
        for (let kx = 0; kx < g.kW; kx++)
          for (let c = 0; c < g.inC; c++) {
            L.push(`ld1 ${list(8, Q, '4s')}, [%[wp]], #${16 * Q}`);
            for (let q = 0; q < Q; q++)
              for (let p = 0; p < P; p++) {
                const e = (p * g.strideW + kx) * g.inC + c;
                L.push(`fmla v${acc(p, q)}.4s, v${8 + q}.4s, v${e >> 2}.s[${e & 3}]`);
              }
          }
      } else if (s.mla) {
        // raw bytes v4-v5 sign-extended into v0-v3; weights (int16, 16 channels) v4-v5; int16 sums v6-v13
        L.push(`ld1 ${list(4, Math.ceil(segRegs / 2), '16b')}, [${xr}]${post}`);
        for (let j = 0; j < segRegs; j++) L.push(`sxtl${j % 2 ? '2' : ''} v${j}.8h, v${4 + (j >> 1)}.${j % 2 ? '16b' : '8b'}`);
        const H = Q / 2;
        const hacc = (p: number, h: number) => 6 + p * H + h;
        for (let kx = 0; kx < g.kW; kx++)
          for (let c = 0; c < g.inC; c++) {
            const slot = (ky * g.kW + kx) * g.inC + c;
            L.push(`ld1 ${list(4, H, '8h')}, [%[wp]], #${16 * H}`);
            for (let h = 0; h < H; h++) {
              const start = slot === 0 || s.mla.ends[b * H + h]![slot - 1]!;
              const tap = s.mla.order[b * H + h]![slot]!;
              const tx = Math.floor((tap % (g.kW * g.inC)) / g.inC);
              const tc = tap % g.inC;
              for (let p = 0; p < P; p++) {
                const e = (p * g.strideW + tx) * g.inC + tc;
                L.push(`${start ? 'mul' : 'mla'} v${hacc(p, h)}.8h, v${4 + h}.8h, v${e >> 3}.h[${e & 7}]`);
              }
              if (s.mla.ends[b * H + h]![slot]) {
                for (let p = 0; p < P; p++) {
                  L.push(`saddw v${acc(p, 2 * h)}.4s, v${acc(p, 2 * h)}.4s, v${hacc(p, h)}.4h`);
                  L.push(`saddw2 v${acc(p, 2 * h + 1)}.4s, v${acc(p, 2 * h + 1)}.4s, v${hacc(p, h)}.8h`);
                }
              }
            }
          }
      } else {
        const sub = u8 ? 'usubl' : 'ssubl';
        L.push(`ld1 ${list(4, Math.ceil(segRegs / 2), '16b')}, [${xr}]${post}`);
        for (let j = 0; j < segRegs; j++) L.push(`${sub}${j % 2 ? '2' : ''} v${j}.8h, v${4 + (j >> 1)}.${j % 2 ? '16b' : '8b'}, v6.${j % 2 ? '16b' : '8b'}`);
        for (let kx = 0; kx < g.kW; kx++)
          for (let c = 0; c < g.inC; c++) {
            L.push(`ld1 ${list(8, Q / 2, '8h')}, [%[wp]], #${8 * Q}`);
            for (let q = 0; q < Q; q++)
              for (let p = 0; p < P; p++) {
                const e = (p * g.strideW + kx) * g.inC + c;
                L.push(`${q % 2 ? 'smlal2' : 'smlal'} v${acc(p, q)}.4s, v${8 + (q >> 1)}.${q % 2 ? '8h' : '4h'}, v${e >> 3}.h[${e & 7}]`);
              }
          }
      }
    }
    // epilogue
    if (!quant) {
      for (let k = 0; k < P * Q; k++) L.push(`fmax v${16 + k}.4s, v${16 + k}.4s, v12.4s`);
      for (let k = 0; k < P * Q; k++) L.push(`fmin v${16 + k}.4s, v${16 + k}.4s, v13.4s`);
      for (let p = 0; p < P; p++) L.push(`st1 ${list(acc(p, 0), Q, '4s')}, [%[y]], %[ys]`);
    } else {
      const all = Array.from({ length: P * Q }, (_, k) => [16 + k, k % Q] as const);
      if (s.hasLsh) {
        L.push(`ld1 ${list(0, Q, '4s')}, [%[bp]], #${16 * Q}`);
        for (const [a, q] of all) L.push(`sshl v${a}.4s, v${a}.4s, v${q}.4s`);
      }
      L.push(`ld1 ${list(0, Q, '4s')}, [%[bp]], #${16 * Q}`, `ld1 ${list(8, Q, '4s')}, [%[bp]], #${16 * Q}`);
      for (const [a, q] of all) L.push(`sqrdmulh v${a}.4s, v${a}.4s, v${q}.4s`);
      for (const [a, q] of all) {
        // x + (x < 0 ? -1 : 0) cannot overflow after SQRDMULH by a positive multiplier (|result| < 2^31)
        if (s.allNeg) L.push(`ssra v${a}.4s, v${a}.4s, #31`);
        else L.push(`and v4.16b, v${a}.16b, v${8 + q}.16b`, `ssra v${a}.4s, v4.4s, #31`);
        L.push(`srshl v${a}.4s, v${a}.4s, v${8 + q}.4s`);
      }
      const [nar, nar2, mx, mn] = u8 ? ['sqxtun', 'sqxtun2', 'umax', 'umin'] : ['sqxtn', 'sqxtn2', 'smax', 'smin'];
      if (s.mla && s.clampLo) L.push(`dup v${loReg}.16b, %w[amin]`);
      if (s.mla && s.clampHi) L.push(`dup v${hiReg}.16b, %w[amax]`);
      for (let p = 0; p < P; p++) {
        L.push(`sqxtn v4.4h, v${acc(p, 0)}.4s`, `sqxtn2 v4.8h, v${acc(p, 1)}.4s`, `sqadd v4.8h, v4.8h, v${yzpReg}.8h`);
        const a = Q === 4 ? '16b' : '8b';
        if (Q === 4) L.push(`sqxtn v5.4h, v${acc(p, 2)}.4s`, `sqxtn2 v5.8h, v${acc(p, 3)}.4s`, `sqadd v5.8h, v5.8h, v${yzpReg}.8h`, `${nar} v4.8b, v4.8h`, `${nar2} v4.16b, v5.8h`);
        else L.push(`${nar} v4.8b, v4.8h`);
        if (s.clampLo) L.push(`${mx} v4.${a}, v4.${a}, v${loReg}.${a}`);
        if (s.clampHi) L.push(`${mn} v4.${a}, v4.${a}, v${hiReg}.${a}`);
        L.push(`st1 {v4.${a}}, [%[y]], %[ys]`);
      }
    }
    if (!last) L.push(`sub %[y], %[y], #${ysub}`);
    else if (yback) L.push(`sub %[y], %[y], #${yback}`);
  }
  L.push('subs %[n], %[n], #1', 'b.ne 1b');
  return L;
}


/**
 * The packed SDOT tile loop: taps gathered once per tile into v0-v7 (two registers per pixel) by TBL from
 * the kernel rows (v20.. at the first pixel, v24.. at the third; indices in v16-v19); per block 4-tap
 * weight groups v8-v11, accumulators v16-v31; requantization by channel halves (v8-v11), narrowed in place.
 */
function convPackedSdotAsm(s: LoopSpec, ysub: number, yback: number): string[] {
  const { g, nOcb } = s;
  const P = 4;
  const T = g.kH * g.kW * g.inC;
  const GT = Math.ceil(T / 4);
  const acc = (p: number, q: number) => 16 + p * 4 + q;
  const L: string[] = [];
  L.push('dup v12.8h, %w[yzp]');
  if (s.clampLo) L.push('dup v13.16b, %w[amin]');
  if (s.clampHi) L.push('dup v14.16b, %w[amax]');
  L.push('1:', 'mov %[wp], %[w]', 'mov %[bp], %[bq]', 'ld1 {v16.16b-v19.16b}, [%[ix]]');
  const off2 = 2 * g.strideW * g.inC;
  for (let ky = 0; ky < g.kH; ky++) L.push(`ldur q${24 + ky}, [%[x${ky}], #${off2}]`, `ld1 {v${20 + ky}.16b}, [%[x${ky}]], %[xs]`);
  const tab = (lo: number) => (g.kH === 1 ? `{v${lo}.16b}` : `{v${lo}.16b-v${lo + g.kH - 1}.16b}`);
  for (let p = 0; p < P; p++) {
    const t = tab(p < 2 ? 20 : 24);
    const j = p % 2;
    L.push(`tbl v${2 * p}.16b, ${t}, v${16 + 2 * j}.16b`);
    if (T > 16) L.push(`tbl v${2 * p + 1}.16b, ${t}, v${17 + 2 * j}.16b`);
  }
  for (let b = 0; b < nOcb; b++) {
    const last = b === nOcb - 1;
    for (let p = 0; p < P; p++) L.push(`ld1 {v${acc(p, 0)}.4s-v${acc(p, 3)}.4s}, [%[bp]]${p === P - 1 ? ', #64' : ''}`);
    for (let gi = 0; gi < GT; gi++) {
      L.push('ld1 {v8.16b-v11.16b}, [%[wp]], #64');
      for (let q = 0; q < 4; q++)
        for (let p = 0; p < P; p++) L.push(`sdot v${acc(p, q)}.4s, v${8 + q}.16b, v${2 * p + (gi >> 2)}.4b[${gi & 3}]`);
    }
    if (s.hasLsh) {
      L.push('ld1 {v8.4s-v11.4s}, [%[bp]], #64');
      for (let p = 0; p < P; p++) for (let q = 0; q < 4; q++) L.push(`sshl v${acc(p, q)}.4s, v${acc(p, q)}.4s, v${8 + q}.4s`);
    }
    for (let hh = 0; hh < 2; hh++) {
      L.push('ld1 {v8.4s, v9.4s}, [%[bp]], #32', 'ld1 {v10.4s, v11.4s}, [%[bp]], #32');
      for (let p = 0; p < P; p++)
        for (let k = 0; k < 2; k++) {
          const a = acc(p, 2 * hh + k);
          L.push(`sqrdmulh v${a}.4s, v${a}.4s, v${8 + k}.4s`);
          if (s.allNeg) L.push(`ssra v${a}.4s, v${a}.4s, #31`);
          else L.push(`and v15.16b, v${a}.16b, v${10 + k}.16b`, `ssra v${a}.4s, v15.4s, #31`);
          L.push(`srshl v${a}.4s, v${a}.4s, v${10 + k}.4s`);
        }
    }
    for (let p = 0; p < P; p++) {
      const [a0, a1, a2, a3] = [0, 1, 2, 3].map((q) => acc(p, q));
      L.push(`sqxtn v${a0}.4h, v${a0}.4s`, `sqxtn2 v${a0}.8h, v${a1}.4s`, `sqadd v${a0}.8h, v${a0}.8h, v12.8h`);
      L.push(`sqxtn v${a2}.4h, v${a2}.4s`, `sqxtn2 v${a2}.8h, v${a3}.4s`, `sqadd v${a2}.8h, v${a2}.8h, v12.8h`);
      L.push(`sqxtn v${a0}.8b, v${a0}.8h`, `sqxtn2 v${a0}.16b, v${a2}.8h`);
      if (s.clampLo) L.push(`smax v${a0}.16b, v${a0}.16b, v13.16b`);
      if (s.clampHi) L.push(`smin v${a0}.16b, v${a0}.16b, v14.16b`);
      L.push(`st1 {v${a0}.16b}, [%[y]], %[ys]`);
    }
    if (!last) L.push(`sub %[y], %[y], #${ysub}`);
    else if (yback) L.push(`sub %[y], %[y], #${yback}`);
  }
  L.push('subs %[n], %[n], #1', 'b.ne 1b');
  return L;
}
