/**
 * Issue 5's acceptance on the Raspberry Pi targets (NEON kernels, under
 * QEMU user mode): both shared models bit-exact, and float32 MobileNetV1
 * within the stated tolerance.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { runnerFor } from '../../src/cross/index.js';
import { missingLinuxTools } from '../../src/cross/linux.js';
import { loadModel } from '../../src/pipeline.js';
import { targetByName } from '../../src/targets/index.js';
import { compareTensor } from '../../src/verify/compare.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { EXAMPLES } from '../helpers/cli.js';
import { EXPECTED_DIR, MOBILENET_QUANT, PERSON_DETECT, skipShared } from '../helpers/shared.js';

const TARGETS = ['rpi3', 'rpi4', 'rpi5', 'rpi-armv7'].map(targetByName);
const tools = TARGETS.every((t) => missingLinuxTools(t).length === 0);
const skipTools = !tools && process.env.CI !== 'true';

function runOn(model: string, target: (typeof TARGETS)[number], inputs: Uint8Array[]): Uint8Array[] {
  const graph = loadModel(model);
  const project = generateProject(graph, { name: graph.name, target, kernels: 'simd' });
  return runnerFor(target)
    .run(project, target, inputs, { layers: false, countInstructions: false })
    .results.map((r) => r.output);
}

const expected = (f: string) => new Uint8Array(readFileSync(join(EXPECTED_DIR, f)));

describe.skipIf(skipShared || skipTools)('shared models on the Raspberry Pi targets (kernels simd)', () => {
  for (const target of TARGETS) {
    it(`${target.name}: person_detect [-113, 113] / [57, -57], bird equals its .output.bin`, () => {
      const [person, noPerson] = runOn(PERSON_DETECT, target, [expected('person_detect.person.input.bin'), expected('person_detect.no_person.input.bin')]);
      expect(Array.from(new Int8Array(person!.buffer, person!.byteOffset, 2))).toEqual([-113, 113]);
      expect(Array.from(new Int8Array(noPerson!.buffer, noPerson!.byteOffset, 2))).toEqual([57, -57]);
      const [bird] = runOn(MOBILENET_QUANT, target, [expected('mobilenet_v1_0.25_128_quant.bird.input.bin')]);
      expect(Buffer.from(bird!).equals(Buffer.from(expected('mobilenet_v1_0.25_128_quant.bird.output.bin')))).toBe(true);
    });
  }
});

describe.skipIf(skipTools)('float32 MobileNetV1 on the Raspberry Pi targets', () => {
  for (const target of TARGETS) {
    it(`${target.name}: mobilenet_v1_1.0_224 output within the tolerance of the reference`, () => {
      const graph = loadModel(join(EXAMPLES, 'mobilenet_v1_1.0_224.json'));
      const input = new Float32Array(224 * 224 * 3).map((_, i) => Math.sin(i * 0.37));
      const project = generateProject(graph, { name: graph.name, target, kernels: 'simd' });
      const [c] = runnerFor(target).run(project, target, [new Uint8Array(input.buffer)], { layers: false, countInstructions: false }).results;
      const ref = runGraph(graph, [input]).outputs[0]!;
      const cmp = compareTensor('float32', ref, c!.output);
      expect(cmp.mismatches, `max abs diff ${cmp.maxAbsDiff}`).toBe(0);
      expect(cmp.maxAbsDiff).toBeLessThanOrEqual(cmp.tolerance);
    });
  }
});
