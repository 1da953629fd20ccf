/**
 * Parameter sources for a description: deterministic seeded initialization,
 * or a raw weights file. Both are consumed in the same order (layer order;
 * per conv-like layer: filter, bias if any, then batch-norm gamma, beta,
 * mean, variance; per FC: weights, bias if any), so a weights file written
 * from a seeded model reproduces it exactly.
 *
 * Weights file format: raw little-endian float32, no header, the values
 * above concatenated; filters in IR (TFLite) layout: conv [O, KH, KW, I],
 * depthwise [1, KH, KW, C·M], FC [O, I].
 */
import { Prng } from '../../util/prng.js';

export type ParamRole = 'filter' | 'bias' | 'gamma' | 'beta' | 'mean' | 'variance';

export interface ParamSource {
  /** The next `count` parameters; `fanIn` scales seeded filters (He-normal). */
  take(role: ParamRole, count: number, fanIn: number): Float32Array;
}

/**
 * Seeded initialization, chosen so activations stay in range through the 27
 * ReLU6 layers of MobileNetV1: He-normal filters (std sqrt(2 / fanIn)) keep
 * the second moment of ReLU activations roughly constant, and batch-norm
 * statistics near identity (gamma, variance ~ U(0.5, 1.5); beta, mean ~
 * N(0, 0.1)) keep it there. Biases ~ N(0, 0.1).
 */
export class SeededParams implements ParamSource {
  private readonly prng: Prng;
  constructor(seed: number) {
    this.prng = new Prng(seed);
  }
  take(role: ParamRole, count: number, fanIn: number): Float32Array {
    const out = new Float32Array(count);
    const p = this.prng;
    for (let i = 0; i < count; i++) {
      switch (role) {
        case 'filter':
          out[i] = p.normal() * Math.sqrt(2 / fanIn);
          break;
        case 'bias':
        case 'beta':
        case 'mean':
          out[i] = p.normal() * 0.1;
          break;
        case 'gamma':
        case 'variance':
          out[i] = p.uniform(0.5, 1.5);
          break;
      }
    }
    return out;
  }
}

/** Reads consecutive float32 values from a weights file's bytes. */
export class FileParams implements ParamSource {
  private offset = 0;
  constructor(private readonly values: Float32Array) {}
  take(_role: ParamRole, count: number): Float32Array {
    const out = this.values.slice(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }
}

/** Counts parameters without producing meaningful values (sizing a weights file). */
export class CountingParams implements ParamSource {
  count = 0;
  take(_role: ParamRole, count: number): Float32Array {
    this.count += count;
    return new Float32Array(count);
  }
}

/** Decodes raw little-endian float32 bytes regardless of the host's endianness. */
export function float32FromLittleEndian(bytes: Uint8Array): Float32Array {
  const n = Math.floor(bytes.byteLength / 4);
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
