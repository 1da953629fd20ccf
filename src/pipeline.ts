/**
 * Model file → prepared graph: the frontend picked by file extension, then
 * the pass pipeline. Everything after this (reference, codegen, inspect)
 * reads the graph it returns.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Graph } from './model/ir.js';
import { badInput, MobilecError } from './model/errors.js';
import { loadDescription } from './frontends/description/index.js';
import { loadTflite } from './frontends/tflite/import.js';
import { loadOnnx } from './frontends/onnx/import.js';
import { prepareGraph } from './passes/index.js';
import { DEFAULT_BUDGET, type Budget } from './model/budget.js';

export const SUPPORTED_MODEL_EXTENSIONS = ['.json', '.tflite', '.onnx'] as const;

/** The default C identifier for a model file: its base name with every char outside [A-Za-z0-9_] → '_'. */
export function defaultModelName(path: string): string {
  const base = basename(path, extname(path));
  const name = base.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `m_${name}` : name;
}

/** Checks a user-supplied `--name`. */
export function checkModelName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw badInput(`--name '${name}': must be a C identifier ([A-Za-z_][A-Za-z0-9_]*)`);
  }
  return name;
}

/** The passes on a loaded model; a bad-input error they raise names the model file (once). */
function prepareIn(path: string, g: Parameters<typeof prepareGraph>[0]): Graph {
  try {
    return prepareGraph(g);
  } catch (e) {
    if (e instanceof MobilecError && e.kind === 'bad-input' && !e.message.includes(path)) throw badInput(`${path}: ${e.message}`);
    throw e;
  }
}

export function loadModel(path: string, budget: Budget = DEFAULT_BUDGET): Graph {
  if (!existsSync(path)) throw badInput(`${path}: no such file`);
  if (statSync(path).isDirectory()) throw badInput(`${path}: is a directory; give a model file (${SUPPORTED_MODEL_EXTENSIONS.join(', ')})`);
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case '.json':
      return prepareIn(path, loadDescription(path, budget));
    case '.tflite':
      return prepareIn(path, loadTflite(path, budget));
    case '.onnx':
      return prepareIn(path, loadOnnx(path, budget));
    default:
      throw badInput(`${path}: unknown model format '${ext || '(no extension)'}'; supported: ${SUPPORTED_MODEL_EXTENSIONS.join(', ')}`);
  }
}
