/** Description models through the pass pipeline, codegen, gcc, compared layer by layer with the reference. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { loadDescription } from '../../src/frontends/description/index.js';
import { elementCount, type TensorData } from '../../src/model/ir.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { host } from '../../src/targets/host.js';
import { Prng } from '../../src/util/prng.js';
import { asFloat32, buildAndRun, bytesOf, removeDir, tempDir, writeFiles } from './helpers.js';

const MODELS = join(import.meta.dirname, '..', '..', 'examples', 'models');
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe('description models end to end', () => {
  it.each(['tiny_layers.json', 'mobilenet_v1_0.25_96_int8.json', 'mobilenet_v1_0.25_96.json'])('%s', (file) => {
    const graph = prepareGraph(loadDescription(join(MODELS, file)));
    const project = generateProject(graph, { target: host, kernels: 'generic' });
    const xT = graph.tensors[graph.inputs[0]!]!;
    const rng = new Prng(3);
    const n = elementCount(xT.shape);
    let input: TensorData;
    if (xT.dtype === 'int8') input = Int8Array.from({ length: n }, () => rng.int(-128, 127));
    else input = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
    const ref = runGraph(graph, [input]);
    const dir = tempDir('e2e');
    dirs.push(dir);
    writeFiles(dir, project);
    const r = buildAndRun(dir, project, bytesOf(input));
    expect(r.layers.size).toBe(graph.ops.length);
    graph.ops.forEach((op, i) => {
      const want = ref.values.get(op.outputs[0]!)!;
      const got = r.layers.get(i)!;
      if (want instanceof Float32Array) {
        const c = asFloat32(got);
        let maxRef = 1;
        let maxErr = 0;
        want.forEach((v, k) => {
          maxRef = Math.max(maxRef, Math.abs(v));
          maxErr = Math.max(maxErr, Math.abs(v - c[k]!));
        });
        expect(maxErr, `layer ${i} (${op.name})`).toBeLessThanOrEqual(1e-4 * maxRef);
      } else {
        expect(Buffer.from(got).equals(Buffer.from(bytesOf(want))), `layer ${i} (${op.name}) bit-exact`).toBe(true);
      }
    });
  });
});
