/**
 * Sanitizer builds on the Linux cross targets (issue 15): the SIMD kernels
 * (NEON, NEON with dot product, armv7 NEON) built at the target's flags with
 * -fsanitize=undefined -fsanitize-undefined-trap-on-error (no runtime
 * library: a finding is a trap, and the program dies of SIGILL / SIGTRAP
 * under qemu-user), run on the host tests' inputs: no trap, every output
 * equal to the build without sanitizers, every layer as the reference.
 *
 * `npm test` runs a sample per target (one example, a zoo model rotating
 * across the targets); KERNEL_TESTER_FULL=1 runs every model (examples,
 * shared, zoo, random stacks) on every target, rpi3 included.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { targetByName } from '../../src/targets/index.js';
import { toBytes } from '../../src/util/tensors.js';
import { buildSanitized, crossPlain, crossSanitizer, extremeInputs, finding, missingTools, sanitizerProblems, type SanitizerExe } from '../helpers/sanitize.js';
import { ALL_EXAMPLES, example, FULL, type NamedGraph, randomStacks, sharedModels, zooModels } from './models.js';

const TARGETS = ['rpi4', 'rpi5', 'rpi-armv7', ...(FULL ? ['rpi3'] : [])] as const;
/** The zoo models of the sample, one per target (in index order): int8 shape 0 on rpi4, int8 shape 2 on rpi5, uint8 shape 1 on rpi-armv7. */
const zoo = zooModels(FULL ? undefined : [0, 5, 2]);
const shared = sharedModels();
const stacks = randomStacks(FULL ? 8 : 0);

/** One example per target in the sample: float32 NEON on rpi4, int8 dot product on rpi5, armv7 NEON int8. */
const SAMPLE_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  rpi4: ['tiny_layers.json'],
  rpi5: ['mobilenet_v1_0.25_96_int8.json'],
  'rpi-armv7': ['mobilenet_v1_0.25_96_int8.json'],
};

/** The 1.0_224 float32 models take many minutes each under QEMU: the full run only, after every other model on every target. */
const BIG_FLOAT = ['mobilenet_v1_1.0_224.json', 'mobilenet_v2_1.0_224.json', 'mobilenet_v3_large_1.0_224.json'];

function modelsFor(name: string, ti: number): NamedGraph[] {
  if (FULL) return [...ALL_EXAMPLES.filter((f) => !BIG_FLOAT.includes(f)).map(example), ...shared, ...zoo, ...stacks];
  return [...SAMPLE_EXAMPLES[name]!.map(example), zoo[ti]!];
}

describe.each(TARGETS.map((t, i) => [t, i] as const))('UBSan (trap) on %s', (name, ti) => {
  const target = targetByName(name);
  const missing = missingTools(crossSanitizer(target));
  const skip = missing.length > 0 && process.env.CI !== 'true';
  if (skip) console.warn(`test/sanitize: skipping ${name}: missing ${missing.join(', ')}`);

  it.skipIf(skip).each(modelsFor(name, ti).map((m) => [m.label, m] as const))(
    '%s: no trap, outputs as the non-sanitized build and the reference',
    async (_, m) => {
      const problems = await sanitizerProblems(m.graph, target, crossSanitizer(target), crossPlain(target), extremeInputs(m.graph));
      expect(problems).toEqual([]);
    },
    60 * 60_000,
  );

  // The test must be able to fail: a signed overflow planted in the invoke traps.
  const exes: SanitizerExe[] = [];
  afterAll(() => {
    for (const e of exes) e.dispose();
  });
  it.skipIf(skip)('a planted signed overflow traps', async () => {
    const m = example('tiny_layers.json');
    const id = m.graph.name.replace(/[^A-Za-z0-9_]/g, '_');
    const exe = await buildSanitized(m.graph, target, crossSanitizer(target), {
      patch: (file, text) =>
        file === `${id}.c`
          ? text.replace(
              '    MOBILEC_POISON(0);\n',
              `    MOBILEC_POISON(0);\n    { volatile int mobilec_big = 2147483647; mobilec_big = mobilec_big + (mobilec_${id}_b[0] | 1); }\n`,
            )
          : text,
    });
    exes.push(exe);
    const r = await exe.run([toBytes(extremeInputs(m.graph)[0]!.data)]);
    expect(finding(r)).toMatch(/uncaught target signal (4|5)/);
  });
});

describe.skipIf(!FULL).each(TARGETS)('UBSan (trap) on %s: the big float32 models', (name) => {
  const target = targetByName(name);
  const skip = missingTools(crossSanitizer(target)).length > 0 && process.env.CI !== 'true';
  it.skipIf(skip).each(BIG_FLOAT)(
    'example %s: no trap, outputs as the non-sanitized build and the reference',
    async (file) => {
      const m = example(file);
      const problems = await sanitizerProblems(m.graph, target, crossSanitizer(target), crossPlain(target), extremeInputs(m.graph));
      expect(problems).toEqual([]);
    },
    120 * 60_000,
  );
});
