/**
 * The models of the sanitizer tests (test/sanitize/*.test.ts): the examples,
 * the shared real models, the quantization torture zoo and random
 * depthwise-separable stacks, each as a loaded graph.
 *
 * `npm test` runs a sample (small models, a zoo sample rotating across the
 * builds, two random stacks); KERNEL_TESTER_FULL=1 (`npm run test:full`)
 * runs every model.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Graph } from '../../src/model/ir.js';
import { loadModel } from '../../src/pipeline.js';
import { EXAMPLES } from '../helpers/cli.js';
import { description, inputArb, stackArb, tryLoad } from '../helpers/graphOnTarget.js';
import { MOBILENET_QUANT, PERSON_DETECT, skipShared } from '../helpers/shared.js';
import { buildTflite } from '../helpers/tfliteBuilder.js';
import { torturZoo } from '../helpers/zoo.js';

export const FULL = process.env.KERNEL_TESTER_FULL === '1';

export const ALL_EXAMPLES = [
  'tiny_layers.json',
  'mobilenet_v1_0.25_96.json',
  'mobilenet_v1_0.25_96_int8.json',
  'mobilenet_v2_0.35_96_int8.json',
  'mobilenet_v3_small_1.0_224_int8.json',
  'mobilenet_v1_1.0_224_int8.json',
  'mobilenet_v1_1.0_224.json',
  'mobilenet_v2_1.0_224.json',
  'mobilenet_v3_large_1.0_224.json',
] as const;

export interface NamedGraph {
  readonly label: string;
  readonly graph: Graph;
}

export function example(file: string): NamedGraph {
  return { label: `example ${file}`, graph: loadModel(join(EXAMPLES, file)) };
}

/** The shared real models, or none when they are missing (and CI is not set). */
export function sharedModels(): NamedGraph[] {
  if (skipShared) return [];
  return [PERSON_DETECT, MOBILENET_QUANT].map((p) => ({ label: `shared ${p.split('/').pop()}`, graph: loadModel(p) }));
}

/** The torture zoo's models (written as .tflite and read back through the importer); only those at `indices` when given. */
export function zooModels(indices?: readonly number[]): NamedGraph[] {
  const dir = mkdtempSync(join(tmpdir(), 'mobilec-san-zoo-'));
  try {
    return torturZoo()
      .filter((_, i) => indices === undefined || indices.includes(i))
      .map((m) => {
        const path = join(dir, `${m.name}.tflite`);
        writeFileSync(path, buildTflite(m.spec));
        return { label: `zoo ${m.name}`, graph: loadModel(path) };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `count` random depthwise-separable stacks (the builder's random models), float32 and int8 in turn, from a fixed seed. */
export function randomStacks(count: number, seed = 15): NamedGraph[] {
  const out: NamedGraph[] = [];
  const samples = fc.sample(fc.tuple(inputArb, stackArb, fc.integer({ min: 1, max: 1000 })), { seed, numRuns: count * 4 });
  for (const [input, layers, s] of samples) {
    if (out.length >= count) break;
    const dtype = out.length % 2 === 0 ? 'int8' : 'float32';
    const graph = tryLoad(description(input, layers, dtype, s));
    if (graph) out.push({ label: `random ${dtype} stack (seed ${s}, ${layers.length} layers)`, graph: { ...graph, name: `rnd${out.length}` } });
  }
  return out;
}

/** Items i of `xs` with (i + offset) mod `every` = 0: a sample that rotates with `offset`. */
export function rotate<T>(xs: readonly T[], every: number, offset: number): T[] {
  return xs.filter((_, i) => (i + offset) % every === 0);
}
