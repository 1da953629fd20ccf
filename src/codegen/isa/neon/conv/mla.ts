/** The int16 MLA tap-group plan and the packed SDOT gather of the NEON row loops. */
import type { WindowGeometry } from '../../../../model/geometry.js';

/** Per 8-channel half (blocks in order): slot -> tap (a permutation within each kernel row) and the slots closing a group. */
export interface MlaPlan {
  readonly order: number[][];
  readonly ends: boolean[][];
}

/**
 * Tap groups per 8-channel half for the int16 MLA tile (halves of the 16-channel blocks, in order): greedy
 * along the taps while every channel's sum of |w| times 128 (the largest |int8 activation|) fits int16;
 * the taps of each kernel row are taken in the order (natural, then seeded shuffles) giving the fewest
 * groups. Null when it does not beat SMLAL (two instructions per tap and pixel per half).
 */
export function mlaPlan(w: Float64Array | Int32Array, outC: number, kH: number, T: number, Q: number, P: number): MlaPlan | null {
  const halves = outC / 8;
  if (!Number.isInteger(halves) || Q !== 4 || T % kH !== 0) return null;
  const RT = T / kH;
  const order: number[][] = [];
  const ends: boolean[][] = [];
  let groups = 0;
  let seed = 12345;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let h = 0; h < halves; h++) {
    const absw = (t: number, o: number) => Math.abs(w[(8 * h + o) * T + t]!);
    const grouping = (ord: number[]): boolean[] | null => {
      const e = new Array<boolean>(T).fill(false);
      const sum = new Array<number>(8).fill(0);
      for (let i = 0; i < T; i++) {
        const t = ord[i]!;
        if (!sum.every((v, o) => (v + absw(t, o)) * 128 <= 32767)) {
          if (i === 0) return null;
          e[i - 1] = true;
          sum.fill(0);
        }
        for (let o = 0; o < 8; o++) sum[o] += absw(t, o);
        if (sum.some((v) => v * 128 > 32767)) return null;
      }
      e[T - 1] = true;
      return e;
    };
    const count = (e: boolean[]) => e.filter(Boolean).length;
    let bestOrd = Array.from({ length: T }, (_, i) => i);
    let best = grouping(bestOrd);
    if (!best) return null;
    for (let it = 0; it < 1500 && count(best) > 1; it++) {
      const ord: number[] = [];
      for (let ky = 0; ky < kH; ky++) {
        const r = Array.from({ length: RT }, (_, i) => ky * RT + i);
        for (let i = RT - 1; i > 0; i--) {
          const j = Math.floor(rnd() * (i + 1));
          [r[i], r[j]] = [r[j]!, r[i]!];
        }
        ord.push(...r);
      }
      const e = grouping(ord);
      if (e && count(e) < count(best)) [best, bestOrd] = [e, ord];
    }
    groups += count(best);
    order.push(bestOrd);
    ends.push(best);
  }
  // per pixel: MLA one per tap and half, two widening adds per group; SMLAL two per tap and half
  if (halves * T * P + 2 * groups * P >= 2 * halves * T * P) return null;
  return { order, ends };
}

/** FNV-1a over the plan (order and group ends): the value of the kernel name's `mla` flag (the tile's code spells the plan). */
export function mlaHash(plan: MlaPlan): number {
  let hsh = 0x811c9dc5;
  plan.ends.forEach((e, h) => {
    e.forEach((b, i) => {
      hsh = Math.imul(hsh ^ ((b ? 1024 : 0) + plan.order[h]![i]!), 0x01000193) >>> 0;
    });
  });
  return hsh;
}

/** Packed SDOT applies: 4 pixels x 16 channels, at most 32 taps, two pixels' row windows within 16 bytes. */
export function packedSdotOk(g: WindowGeometry): boolean {
  const T = g.kH * g.kW * g.inC;
  return T <= 32 && g.kH <= 4 && g.strideW * g.inC + g.kW * g.inC <= 16 && 2 * g.strideW * g.inC + 16 <= 36;
}

/** TBL indices (64 bytes): pixel j of a pair, low/high 16 taps, into the kernel rows' 16-byte windows. */
export function packedSdotIndex(g: WindowGeometry): number[] {
  const T = g.kH * g.kW * g.inC;
  const RT = g.kW * g.inC;
  const ix: number[] = [];
  for (let j = 0; j < 2; j++) for (let k = 0; k < 32; k++) ix.push(k < T ? Math.floor(k / RT) * 16 + j * g.strideW * g.inC + (k % RT) : 255);
  return ix;
}
