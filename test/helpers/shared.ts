/** Where the shared real models live, and whether tests may skip when they are missing. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

export const IMAGES_DIR = join(resolve(PACKAGE_ROOT, '..', 'shared'), 'images');

export const SHARED = resolve(PACKAGE_ROOT, '..', 'shared');
export const MODELS_DIR = join(SHARED, 'models');
export const EXPECTED_DIR = join(SHARED, 'expected');

export const PERSON_DETECT = join(MODELS_DIR, 'person_detect.tflite');
export const MOBILENET_QUANT = join(MODELS_DIR, 'mobilenet_v1_0.25_128_quant.tflite');

/**
 * True when the shared models are missing and the suite should skip. Under
 * CI=true a missing file never skips: the tests run and fail loudly.
 */
export const SKIP_SHARED = !existsSync(PERSON_DETECT) || !existsSync(MOBILENET_QUANT);
export const SKIP_SHARED_REASON = `shared models not found under ${MODELS_DIR}`;
export const skipShared = SKIP_SHARED && process.env.CI !== 'true';
if (skipShared) console.warn(`test: skipping real-model tests: ${SKIP_SHARED_REASON}`);

export function expectedBytes(name: string): Buffer {
  return readFileSync(join(EXPECTED_DIR, name));
}
