/**
 * Sanitizer builds on the Cortex-M boards (issue 15): the firmware image of
 * src/cross/mcu.ts (model, harness, start-up code) built with the target's
 * flags plus -fsanitize=undefined -fsanitize-undefined-trap-on-error, so the
 * DSP (cortex-m4) and MVE (cortex-m55) kernels run under UBSan in trap mode on
 * qemu-system-arm: a finding is a UDF, i.e. a HardFault, which the
 * firmware's fault handler reports before exiting non-zero. Inputs as the
 * host tests'; every layer is compared with the reference.
 *
 * `npm test`: cortex-m4 and cortex-m55, a zoo model each, one int8 example on cortex-m4;
 * KERNEL_TESTER_FULL=1: every Cortex-M target, the small examples, every zoo
 * model and the shared models (a model too big for a board is skipped with a message).
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { buildMcuImage, mcuToolsAvailable, runImage } from '../../src/cross/mcu.js';
import { MobilecError } from '../../src/model/errors.js';
import { targetByName } from '../../src/targets/index.js';
import { toBytes } from '../../src/util/tensors.js';
import { extremeInputs, MCU_TRAP_FLAGS, mcuSanitizerProblems } from '../helpers/sanitize.js';
import { example, FULL, type NamedGraph, sharedModels, zooModels } from './models.js';

const TARGETS = FULL ? ['cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55'] : ['cortex-m4', 'cortex-m55'];
/** The zoo models of the sample: int8 on cortex-m4, uint8 on cortex-m55. */
const zoo = zooModels(FULL ? undefined : [0, 5]);
const SMALL = ['tiny_layers.json', 'mobilenet_v1_0.25_96_int8.json', 'mobilenet_v2_0.35_96_int8.json', 'mobilenet_v1_0.25_96.json'];

function modelsFor(ti: number): NamedGraph[] {
  if (FULL) return [...SMALL.map(example), ...sharedModels(), ...zoo];
  // cortex-m4: an int8 example and an int8 zoo model; cortex-m55: a uint8 zoo model.
  return [...(ti === 0 ? [example('mobilenet_v1_0.25_96_int8.json')] : []), zoo[ti]!];
}

describe.each(TARGETS.map((t, i) => [t, i] as const))('UBSan (trap) on %s', (name, ti) => {
  const target = targetByName(name);
  const skip = !mcuToolsAvailable(target) && process.env.CI !== 'true';
  if (skip) console.warn(`test/sanitize: skipping ${name}: the Cortex-M tools are missing`);

  it.skipIf(skip).each(modelsFor(ti).map((m) => [m.label, m] as const))(
    '%s: no fault, every layer as the reference',
    (_, m) => {
      let problems: string[];
      try {
        problems = mcuSanitizerProblems(m.graph, target, extremeInputs(m.graph));
      } catch (e) {
        if (FULL && e instanceof MobilecError && /does not fit/.test(e.message)) {
          console.warn(`test/sanitize: ${m.label} skipped on ${name}: ${e.message}`);
          return;
        }
        throw e;
      }
      expect(problems).toEqual([]);
    },
    60 * 60_000,
  );

  it.skipIf(skip)('a planted signed overflow faults', () => {
    const m = example('tiny_layers.json');
    const id = m.graph.name.replace(/[^A-Za-z0-9_]/g, '_');
    const project = generateProject(m.graph, { name: id, target, kernels: 'simd' });
    const files = new Map(project.files);
    files.set(
      `${id}.c`,
      (files.get(`${id}.c`) as string).replace(
        '    MOBILEC_POISON(0);\n',
        `    MOBILEC_POISON(0);\n    { volatile int mobilec_big = 2147483647; mobilec_big = mobilec_big + (mobilec_${id}_b[0] | 1); }\n`,
      ),
    );
    const planted = { ...project, files };
    const image = buildMcuImage(planted, target, { layers: true, cflags: MCU_TRAP_FLAGS });
    expect(() => runImage(image, planted, target, [toBytes(extremeInputs(m.graph)[0]!.data)], { layers: true, plugin: null })).toThrow(
      /fault or unexpected exception/,
    );
  });
});
