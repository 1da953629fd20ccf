/**
 * The JSON description frontend: MobileNetV1 by hyper-parameters or an
 * explicit layer list → a float32 graph (batch norm and activations
 * unfolded), plus a PTQ request for int8 descriptions.
 * Format: docs/description-format.md; schema: ./schema.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { badInput, MobilecError } from '../../model/errors.js';
import { DEFAULT_BUDGET, overBudget, type Budget } from '../../model/budget.js';
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

export function loadDescription(path: string, budget: Budget = DEFAULT_BUDGET): FrontendResult {
  const file = basename(path);
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw badInput(`${file}: not a regular file`);
    if (st.size > MAX_DESCRIPTION_BYTES)
      overBudget({ ...budget, maxFileBytes: MAX_DESCRIPTION_BYTES }, 'maxFileBytes', st.size, `${file}: `, 'the description');
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof MobilecError) throw e;
    throw badInput(`${file}: cannot read the description (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return describeModel(text, path, budget);
}

/** A description is structure, not weights (those go in a weights file): 16 MiB is 100,000s of layers. */
export const MAX_DESCRIPTION_BYTES = 16 * 1024 * 1024;

/** Like loadDescription, from the description's text; relative paths resolve against `path`'s directory. */
export function describeModel(text: string, path: string, budget: Budget = DEFAULT_BUDGET): FrontendResult {
  const file = basename(path);
  if (text.length > MAX_DESCRIPTION_BYTES)
    overBudget({ ...budget, maxFileBytes: MAX_DESCRIPTION_BYTES }, 'maxFileBytes', text.length, `${file}: `, 'the description');
  let data: unknown;
  try {
    data = parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw badInput(`${file}: ${e.message}`);
    throw e;
  }
  // The op budget before the schema check: a huge layer list fails here, before any expensive work.
  const layerList = (data as { layers?: unknown } | null)?.layers;
  if (Array.isArray(layerList) && layerList.length > budget.maxOps) overBudget(budget, 'maxOps', layerList.length, `${file}: /layers: `, 'the layer list');
  const desc = validateDescription(data, file);
  const net = networkOf(desc);
  const dir = dirname(resolve(path));
  const graph = buildGraph(net, sanitizeName(path), paramSource(desc, net, file, dir, budget), file, budget);
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

function paramSource(desc: Description, net: Network, file: string, dir: string, budget: Budget): ParamSource {
  if (desc.weights.seed !== undefined) return new SeededParams(desc.weights.seed);
  const wfile = desc.weights.file!;
  const counter = new CountingParams();
  buildGraph(net, 'sizing', counter, file, budget);
  const expected = counter.count * 4;
  // A regular file of exactly the size the layers need, checked before reading (not a device, a FIFO or a directory).
  const path = resolve(dir, wfile);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw badInput(`${file}: /weights/file: "${wfile}" is not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof MobilecError) throw e;
    throw badInput(`${file}: /weights/file: cannot read "${wfile}" (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const mismatch = (n: number) =>
    badInput(
      `${file}: /weights/file: "${wfile}" has ${n} bytes, expected ${expected} (${counter.count} float32 parameters in layer order, see docs/description-format.md)`,
    );
  if (size !== expected) throw mismatch(size);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw badInput(`${file}: /weights/file: cannot read "${wfile}" (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (bytes.byteLength !== expected) throw mismatch(bytes.byteLength);
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
        const st = statSync(p);
        if (!st.isFile()) throw badInput(`${file}: /calibration/files/${i}: "${f}" is not a regular file`);
        size = st.size;
      } catch (e) {
        if (e instanceof MobilecError) throw e;
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
