/**
 * Kernel names: one grammar on every ISA, one place that spells them.
 *
 *   mobilec_<op>_<dtype>_<isa>[_t<tile>][_<flag>...][_<window>][_<shape>]
 *
 * - op:     what the kernel computes (KERNEL_OPS)
 * - dtype:  activation type: f32, s8, u8
 * - isa:    c (generic C), dsp (Armv7E-M), mve (Helium), neon (aarch64),
 *           neon32 (Armv7-A NEON), neondot (aarch64 with SDOT/UDOT), avx2 (x86-64
 *           AVX2 + FMA)
 * - tile:   the register/pixel block of the inner loop, e.g. `t4x16`
 * - flags:  configuration switches from the closed vocabulary KERNEL_FLAGS,
 *           always in vocabulary order, each with one meaning everywhere
 * - window: kernel size, stride and padding of a windowed op: `k3s2same`,
 *           `k3x1s1valid` (kH x kW when not square, sH x sW likewise)
 * - shape:  the specialised geometry: groups of dims joined by `x`,
 *           groups joined by `_` (`48x48x8_16`: input, then output channels;
 *           a pad's `1x5x5x4_0x1x1x0_0x1x1x0`: input, before, after)
 *
 * Helper functions of a kernel are named `<kernel>_<part>` (`_tile4`, `_row`,
 * `_asm`). `parseKernelName` inverts `formatKernelId`; tests read a chosen
 * kernel's configuration through it, never by substring.
 */
import { internalError } from '../model/errors.js';
import type { DType } from '../model/ir.js';

export const KERNEL_OPS = [
  'conv',
  'pw',
  'dw',
  'fc',
  'avgpool',
  'maxpool',
  'add',
  'mul',
  'concat',
  'mean',
  'softmax',
  'pad',
  'quantize',
  'requantize',
  'dequantize',
  'lut',
  'hardswish',
  'logistic',
  'act',
] as const;
export type KernelOp = (typeof KERNEL_OPS)[number];

export const KERNEL_DTYPES = ['f32', 's8', 'u8'] as const;
export type KernelDType = (typeof KERNEL_DTYPES)[number];

/** The dtype field of a kernel name for an activation dtype. */
export function kernelDType(d: DType): KernelDType {
  if (d === 'float32') return 'f32';
  if (d === 'int8') return 's8';
  if (d === 'uint8') return 'u8';
  throw internalError(`no kernel dtype for ${d} activations`);
}

export const KERNEL_ISAS = ['c', 'dsp', 'mve', 'neon', 'neon32', 'neondot', 'avx2'] as const;
export type KernelIsa = (typeof KERNEL_ISAS)[number];

/**
 * The flag vocabulary, in the order names spell them. Add a flag here, with
 * its one meaning, before a variant uses it.
 */
export const KERNEL_FLAGS = {
  // requantization
  rn: 'every channel shifts right (the cheap rounding form of the epilogue)',
  ls: 'some channel shifts left (the epilogue applies a left shift first)',
  x64: 'an exact 64-bit epilogue instead of the bounded one-instruction form (DSP: SMLAL instead of SMMLAR with rn; the total per-channel form, any shift, without rn; both per channel with mix)',
  mix: 'the epilogue form is chosen per channel by a class word of its constants (DSP: SMMLAR right / SMMLAR left / total, with x64 SMLAL / total), one branch per channel',
  z1: 'add: input 1 shifts by zero (its stage is the rounding doubling high multiply alone)',
  z2: 'add: input 2 shifts by zero (likewise)',
  bc: 'add, mul: one operand repeats every P elements of the other (broadcast: a scalar, P = 1, or a per-channel vector, P = C); the shape is the output, then P',
  // clamp
  clamp: 'the activation clamp is narrower than the dtype range (else saturation alone)',
  min: 'the kernel clamps below in code (an 8-bit kernel whose activation minimum is above the dtype minimum)',
  max: 'the kernel clamps above in code (an 8-bit kernel whose activation maximum is below the dtype maximum)',
  relu: 'float activation ReLU applied in code (bounds not passed as arguments)',
  relu6: 'float activation ReLU6 applied in code',
  relun1: 'float activation ReLU-1..1 applied in code',
  // weights
  wzp: 'weights carry a non-zero zero point (subtracted in the kernel)',
  w16: 'weights re-packed as int16',
  w8: 'weights re-packed as int8',
  // structure
  pair: 'pairs of taps multiplied into int16 before widening',
  split:
    'pair kernels: taps whose weights pass +-127 in some channel block are split into int8 parts (extra taps of that block); the value hashes the per-block split taps (split2166136261)',
  dm: 'depth multiplier > 1 (a flag with a value, which follows: dm2)',
  cb: 'channels in blocks of the value (cb8): the working buffer holds one block, its input re-read per block (a smaller arena scratch)',
  rows: 'one assembly loop runs whole output rows (else one call per register tile)',
  gather: 'the taps of each pixel gathered by TBL into consecutive SDOT groups',
  mla: 'int16 MLA tap groups widened at group ends; the value hashes the weights-derived grouping the code spells (mla612158423)',
  tbl: 'TBL lookup table: the value lists the 64-entry chunks per table plane the code reads (tbl431)',
  x512: 'an AVX-512F body beside the AVX2 one, chosen at run time where the CPU has AVX-512F (x86-64)',
  // algorithm of an op with several exact forms
  exptab: 'softmax: exp of every difference to the row maximum read from a compile-time table (at most 256 int32 entries) instead of computed',
  avg: 'mean: the truncating integer average (input and output quantized alike)',
  fscale: "mean: the float32 rescale of TFLite's general quantized mean",
  // conversions
  xs8: 'requantize: the input is int8 (the dtype field names the output)',
  xu8: 'requantize: the input is uint8 (the dtype field names the output)',
} as const;
export type KernelFlag = keyof typeof KERNEL_FLAGS;
const FLAG_ORDER = Object.keys(KERNEL_FLAGS) as KernelFlag[];

export interface KernelWindow {
  readonly kH: number;
  readonly kW: number;
  readonly sH: number;
  readonly sW: number;
  readonly padding: 'same' | 'valid';
}

export interface KernelId {
  readonly op: KernelOp;
  readonly dtype: KernelDType;
  readonly isa: KernelIsa;
  /** Block of the inner loop, e.g. `4x16` (spelt `t4x16`). */
  readonly tile?: string;
  /** Switches from KERNEL_FLAGS; `dm` takes the depth multiplier as its value. */
  readonly flags?: Readonly<Partial<Record<KernelFlag, true | number>>>;
  readonly window?: KernelWindow;
  /** Specialised geometry, `48x48x8_16` (groups of dims joined by `_`). */
  readonly shape?: string;
}

const pair = (a: number, b: number) => (a === b ? `${a}` : `${a}x${b}`);

export function windowTag(w: KernelWindow): string {
  return `k${pair(w.kH, w.kW)}s${pair(w.sH, w.sW)}${w.padding}`;
}

/** The only source of kernel names. */
export function formatKernelId(id: KernelId): string {
  const parts: string[] = ['mobilec', id.op, id.dtype, id.isa];
  if (id.tile !== undefined) {
    if (!/^\d+(x\d+)*$/.test(id.tile)) throw internalError(`kernel tile '${id.tile}' is not dims joined by x`);
    parts.push(`t${id.tile}`);
  }
  for (const f of FLAG_ORDER) {
    const v = id.flags?.[f];
    if (v === undefined) continue;
    parts.push(v === true ? f : `${f}${v}`);
  }
  if (id.window) parts.push(windowTag(id.window));
  if (id.shape !== undefined) {
    if (!/^\d+(x\d+)*(_\d+(x\d+)*)*$/.test(id.shape)) throw internalError(`kernel shape '${id.shape}' does not follow the grammar`);
    parts.push(id.shape);
  }
  return parts.join('_');
}

/** Inverse of formatKernelId (helper-function suffixes are not part of a name). */
export function parseKernelName(name: string): KernelId {
  const t = name.split('_');
  const [pre, op, dtype, isa] = t;
  if (pre !== 'mobilec' || !KERNEL_OPS.includes(op as KernelOp) || !KERNEL_DTYPES.includes(dtype as KernelDType) || !KERNEL_ISAS.includes(isa as KernelIsa)) {
    throw internalError(`'${name}' is not a kernel name (mobilec_<op>_<dtype>_<isa>...)`);
  }
  let i = 4;
  let tile: string | undefined;
  if (t[i]?.startsWith('t') && /^t\d+(x\d+)*$/.test(t[i]!)) tile = t[i++]!.slice(1);
  const flags: Partial<Record<KernelFlag, true | number>> = {};
  for (; i < t.length; i++) {
    const tok = t[i]!;
    if (tok in KERNEL_FLAGS) {
      flags[tok as KernelFlag] = true;
      continue;
    }
    const m = /^(dm|cb|mla|tbl|split)(\d+)$/.exec(tok);
    if (!m) break;
    flags[m[1] as KernelFlag] = Number(m[2]);
  }
  let window: KernelWindow | undefined;
  const w = t[i] !== undefined ? /^k(\d+)(?:x(\d+))?s(\d+)(?:x(\d+))?(same|valid)$/.exec(t[i]!) : null;
  if (w) {
    window = { kH: +w[1]!, kW: +(w[2] ?? w[1]!), sH: +w[3]!, sW: +(w[4] ?? w[3]!), padding: w[5] as 'same' | 'valid' };
    i++;
  }
  const shape = i < t.length ? t.slice(i).join('_') : undefined;
  const id: KernelId = { op: op as KernelOp, dtype: dtype as KernelDType, isa: isa as KernelIsa, tile, flags, window, shape };
  if (formatKernelId(id) !== name) throw internalError(`'${name}' does not follow the kernel name grammar`);
  return id;
}
