/**
 * Sanitizer builds on the host (issue 15): the generated C of the examples,
 * the shared models, the torture zoo and random stacks, built by gcc and by
 * clang with -fsanitize=address,undefined -fno-sanitize-recover=all -g -O1
 * (and -std=c99 -Wall -Wextra -Werror -pedantic), run on seeded and extreme
 * inputs (all-min, all-max; float32: ±FLT_MAX, NaN, ±Inf, ±1e30): no
 * finding, every output equal to the same compiler's build without
 * sanitizers (NaN inputs: no finding only), and every layer as the
 * reference (quantized: bit-exact, extremes included).
 *
 * `npm test` runs a sample split between the two compilers; KERNEL_TESTER_FULL=1
 * runs every model with both (the big float32 models take minutes under ASan).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { host } from '../../src/targets/index.js';
import { buildSanitized, extremeInputs, finding, hostPlain, hostSanitizer, missingTools, sanitizerProblems, type SanitizerExe } from '../helpers/sanitize.js';
import { ALL_EXAMPLES, example, FULL, type NamedGraph, randomStacks, rotate, sharedModels, zooModels } from './models.js';
import { toBytes } from '../../src/util/tensors.js';

const COMPILERS = ['gcc', 'clang'] as const;
/** The zoo models of the sample: int8 (index 0) with gcc, uint8 (index 5) with clang. */
const zoo = zooModels(FULL ? undefined : [0, 5]);
const shared = sharedModels();
const stacks = randomStacks(FULL ? 8 : 2);

/** Sample per compiler (index 0 gcc, 1 clang): small examples split between them, one shared model, one zoo model (int8 / uint8) and one random stack each. */
const SAMPLE_EXAMPLES: readonly (readonly string[])[] = [['tiny_layers.json', 'mobilenet_v1_0.25_96_int8.json'], ['mobilenet_v1_0.25_96.json']];

function modelsFor(ci: number): NamedGraph[] {
  if (FULL) return [...ALL_EXAMPLES.map(example), ...shared, ...zoo, ...stacks];
  return [...SAMPLE_EXAMPLES[ci]!.map(example), ...rotate(shared, 2, ci), zoo[ci]!, ...rotate(stacks, 2, ci)];
}

const missing = [...new Set(COMPILERS.flatMap((cc) => missingTools(hostSanitizer(cc))))];
const skip = missing.length > 0 && process.env.CI !== 'true';
if (skip) console.warn(`test/sanitize: skipping host sanitizer builds: missing ${missing.join(', ')}`);

describe.skipIf(skip).each(COMPILERS.map((cc, i) => [cc, i] as const))('sanitizers on the host: %s', (cc, ci) => {
  const models = modelsFor(ci);
  it.each(models.map((m) => [m.label, m] as const))(
    '%s: no finding, outputs as the non-sanitized build and the reference',
    async (_, m) => {
      const problems = await sanitizerProblems(m.graph, host, hostSanitizer(cc), hostPlain(cc), extremeInputs(m.graph));
      expect(problems).toEqual([]);
    },
    30 * 60_000,
  );
});

/** The test must be able to fail: UB and an out-of-bounds read planted in a model's invoke are reported. */
describe.skipIf(skip)('sanitizers on the host: planted faults are found', () => {
  const m = example('tiny_layers.json');
  const name = m.graph.name.replace(/[^A-Za-z0-9_]/g, '_');
  const exes: SanitizerExe[] = [];
  afterAll(() => {
    for (const e of exes) e.dispose();
  });
  const plant = (code: string) => (file: string, text: string) =>
    file === `${name}.c` ? text.replace('    MOBILEC_POISON(0);\n', `    MOBILEC_POISON(0);\n    ${code}\n`) : text;
  const input = [toBytes(extremeInputs(m.graph)[0]!.data)];

  it.each(COMPILERS)('%s: a signed overflow (UBSan) and a read past the arena (ASan)', async (cc) => {
    const overflow = await buildSanitized(m.graph, host, hostSanitizer(cc), {
      patch: plant(`{ volatile int mobilec_big = 2147483647; mobilec_big = mobilec_big + (mobilec_${name}_b[0] | 1); }`),
    });
    exes.push(overflow);
    const o = await overflow.run(input);
    expect(finding(o)).toMatch(/runtime error: signed integer overflow/);

    const past = await buildSanitized(m.graph, host, hostSanitizer(cc), {
      patch: plant(`{ volatile unsigned char mobilec_past = mobilec_${name}_b[MOBILEC_${name.toUpperCase()}_ARENA_BYTES]; (void)mobilec_past; }`),
    });
    exes.push(past);
    expect(finding(await past.run(input))).toMatch(/AddressSanitizer: global-buffer-overflow/);
  });
});
