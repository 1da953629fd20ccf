/** Shared by the op tests: one-op graphs requantized and validated, and their generated C built and run on the host. */
import { afterAll } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import type { Graph, TensorData } from '../../src/model/ir.js';
import { requantize } from '../../src/passes/requantize.js';
import { validateGraph } from '../../src/passes/validate.js';
import { host } from '../../src/targets/host.js';
import { buildAndRun, bytesOf, hasCompiler, removeDir, tempDir, writeFiles } from '../codegen/helpers.js';

export const COMPILERS = ['gcc', 'clang'].filter(hasCompiler);
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** A hand-built graph as the passes leave it: validated, requantized, validated again. */
export const prepare = (g: Graph): Graph => validateGraph(requantize(validateGraph(g)), 'internal');

/** The graph's generic C on the host (gcc by default), run on one input. */
export function runOnC(g: Graph, input: TensorData, cc = COMPILERS[0]!) {
  const p = generateProject(g, { target: host, kernels: 'generic' });
  const dir = tempDir(`op_${g.name}`);
  dirs.push(dir);
  writeFiles(dir, p);
  return { ...buildAndRun(dir, p, bytesOf(input), cc), project: p };
}
