/**
 * The JSON description frontend: MobileNetV1 by hyper-parameters or an
 * explicit layer list → a float32 graph (batch norm and activations
 * unfolded), plus a PTQ request for int8 descriptions.
 * Format: docs/description-format.md; schema: ./schema.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { badInput } from '../../model/errors.js';
import { elementCount } from '../../model/ir.js';
import type { Calibration, FrontendResult } from '../types.js';
import { buildGraph, explicitLayers, mobilenetV1Layers, type Network } from './build.js';
import { parseJson, JsonSyntaxError } from './json.js';
import { mobilenetV2Layers, mobilenetV3Layers } from './keras.js';
import { CountingParams, FileParams, SeededParams, float32FromLittleEndian, type ParamSource } from './params.js';
import type { Description } from './schema.js';
import { validateDescription } from './validateDescription.js';

export { descriptionSchema } from './schema.js';

/** The C-identifier form of a file's base name (docs/CONTRACT.md, `--name`). */
export function sanitizeName(path: string): string {
  const base = basename(path, extname(path));
  const s = base.replace(/[^A-Za-z0-9_]/g, '_');
  if (s.length === 0) return 'model';
  return /^[0-9]/.test(s) ? `m_${s}` : s; // a C identifier cannot start with a digit
}

/** Default calibration when an int8 description names none. */
export const DEFAULT_CALIBRATION = { seed: 0, count: 4 } as const;

export function loadDescription(path: string): FrontendResult {
  const file = basename(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw badInput(`${file}: cannot read the description (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return describeModel(text, path);
}

/** Like loadDescription, from the description's text; relative paths resolve against `path`'s directory. */
export function describeModel(text: string, path: string): FrontendResult {
  const file = basename(path);
  let data: unknown;
  try {
    data = parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw badInput(`${file}: ${e.message}`);
    throw e;
  }
  const desc = validateDescription(data, file);
  const net = networkOf(desc);
  const dir = dirname(resolve(path));
  const graph = buildGraph(net, sanitizeName(path), paramSource(desc, net, file, dir), file);
  if (desc.dtype === 'float32') {
    if (desc.calibration !== undefined) throw badInput(`${file}: /calibration: only allowed with "dtype": "int8" (got "float32")`);
    return { graph };
  }
  return { graph, quantize: { dtype: 'int8', calibration: calibrationOf(desc, net, file, dir) } };
}

function networkOf(desc: Description): Network {
  switch (desc.architecture) {
    case 'mobilenet_v1':
      return mobilenetV1Layers(desc);
    case 'mobilenet_v2':
      return mobilenetV2Layers(desc);
    case 'mobilenet_v3_small':
      return mobilenetV3Layers(desc, 'small');
    case 'mobilenet_v3_large':
      return mobilenetV3Layers(desc, 'large');
    case 'layers':
      return explicitLayers(desc);
  }
}

function paramSource(desc: Description, net: Network, file: string, dir: string): ParamSource {
  if (desc.weights.seed !== undefined) return new SeededParams(desc.weights.seed);
  const wfile = desc.weights.file!;
  const counter = new CountingParams();
  buildGraph(net, 'sizing', counter, file);
  const expected = counter.count * 4;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(resolve(dir, wfile));
  } catch (e) {
    throw badInput(`${file}: /weights/file: cannot read "${wfile}" (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (bytes.byteLength !== expected) {
    throw badInput(
      `${file}: /weights/file: "${wfile}" has ${bytes.byteLength} bytes, expected ${expected} (${counter.count} float32 parameters in layer order, see docs/description-format.md)`,
    );
  }
  return new FileParams(float32FromLittleEndian(bytes));
}

function calibrationOf(desc: Description, net: Network, file: string, dir: string): Calibration {
  const c = desc.calibration;
  if (c === undefined) return { kind: 'seeded', ...DEFAULT_CALIBRATION };
  if (c.files !== undefined) {
    if (c.count !== undefined) throw badInput(`${file}: /calibration/count: not allowed with "files" (the files give the count)`);
    const expected = elementCount(net.input) * 4;
    const paths = c.files.map((f, i) => {
      const p = resolve(dir, f);
      let size: number;
      try {
        size = statSync(p).size;
      } catch (e) {
        throw badInput(`${file}: /calibration/files/${i}: cannot read "${f}" (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
      if (size !== expected) {
        throw badInput(`${file}: /calibration/files/${i}: "${f}" has ${size} bytes, expected ${expected} (float32 NHWC [${net.input.join(', ')}])`);
      }
      return p;
    });
    return { kind: 'files', paths };
  }
  return { kind: 'seeded', seed: c.seed ?? DEFAULT_CALIBRATION.seed, count: c.count ?? DEFAULT_CALIBRATION.count };
}
