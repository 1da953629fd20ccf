/** Calibration inputs for post-training quantization. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { badInput } from '../model/errors.js';
import { elementCount } from '../model/ir.js';
import { Prng } from '../util/prng.js';
import type { Calibration } from '../frontends/types.js';
import { float32FromLittleEndian } from '../frontends/description/params.js';

/**
 * Seeded inputs are uniform in [-1, 1): the range images map to for a float
 * model ((p − 127.5) / 127.5). Files are raw little-endian float32 NHWC.
 */
export function calibrationInputs(cal: Calibration, inputShape: readonly number[]): Float32Array[] {
  const n = elementCount(inputShape);
  if (cal.kind === 'seeded') {
    const prng = new Prng(cal.seed);
    return Array.from({ length: cal.count }, () => {
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = prng.uniform(-1, 1);
      return x;
    });
  }
  return cal.paths.map((p) => {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(p);
    } catch (e) {
      throw badInput(`${basename(p)}: cannot read calibration file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (bytes.byteLength !== n * 4) {
      throw badInput(`${basename(p)}: calibration file has ${bytes.byteLength} bytes, expected ${n * 4} (float32 NHWC [${inputShape.join(', ')}])`);
    }
    return float32FromLittleEndian(bytes);
  });
}
