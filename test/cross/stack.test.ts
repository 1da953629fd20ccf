/**
 * Bounded stack on Cortex-M: the worst-case stack of `invoke` (gcc -fcallgraph-info, as `inspect --target` reports
 * it) stays within 2 KB for every shared and example model that fits the board, on cortex-m3 (generic C kernels),
 * cortex-m4, cortex-m7 and cortex-m33 (DSP kernels): the kernels take their working buffers (depthwise row rings,
 * widened pointwise blocks) from arena scratch, not from the C stack. RAM is what matters on a board, so
 * person_detect on cortex-m4 also keeps arena + stack within 38,960 B (it was 36,912 + 6,440 with the buffers on
 * the stack).
 *
 * The sample (npm test): person_detect on the four targets and two example models on cortex-m4. The full matrix
 * (KERNEL_TESTER_FULL=1, npm run test:full): every shared and example model on every target, models that do not fit
 * the board's memory skipped (and listed). Builds are cached by content hash, so a rerun costs little.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareModel } from '../../src/cli/prepare.js';
import { mcuRunner, mcuToolsAvailable } from '../../src/cross/mcu.js';
import { targetByName } from '../../src/targets/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { MOBILENET_QUANT, PERSON_DETECT, skipShared } from '../helpers/shared.js';
import { FULL } from '../kernels/config.js';

const STACK_LIMIT = 2048;
/** person_detect on cortex-m4: arena + stack. */
const PERSON_DETECT_M4_RAM = 38_960;

const TARGETS = ['cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33'] as const;
const EXAMPLES = join(PACKAGE_ROOT, 'examples', 'models');
const example = (f: string) => join(EXAMPLES, f);
const exampleModels = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.json') && f !== 'description.schema.json')
  .sort();

const skipTools = !TARGETS.map(targetByName).every(mcuToolsAvailable) && process.env.CI !== 'true';

interface Case {
  readonly model: string;
  readonly target: (typeof TARGETS)[number];
  /** The model must fit the board (the sample's cases); else a model that does not is skipped. */
  readonly mustFit: boolean;
}

const SAMPLE: readonly Case[] = [
  ...TARGETS.map((target) => ({ model: PERSON_DETECT, target, mustFit: true })),
  { model: example('mobilenet_v1_0.25_96_int8.json'), target: 'cortex-m4', mustFit: true },
  { model: example('mobilenet_v2_0.35_96_int8.json'), target: 'cortex-m4', mustFit: true },
];
const MATRIX: readonly Case[] = TARGETS.flatMap((target) => [
  ...[PERSON_DETECT, MOBILENET_QUANT].map((model) => ({ model, target, mustFit: true })),
  ...exampleModels.map((f) => ({ model: example(f), target, mustFit: false })),
]);

function measure(c: Case): { arenaBytes: number; stackBytes: number } | null {
  const { project, target } = prepareModel(c.model, { target: c.target, kernels: 'simd' });
  try {
    const { stackBytes } = mcuRunner.measure(project, target);
    if (stackBytes === null) throw new Error(`${c.model} on ${c.target}: no stack figure`);
    return { arenaBytes: project.arena.bytes, stackBytes };
  } catch (e) {
    if (!c.mustFit && /does not fit the .* board/.test((e as Error).message)) return null;
    throw e;
  }
}

const name = (p: string) => p.split('/').pop()!;

describe.skipIf(skipShared || skipTools)(`Cortex-M stack of invoke (${FULL ? 'every model' : 'a sample'})`, () => {
  // One test per build: a build blocks the worker, and one long test would outlast vitest's RPC timeout.
  it.each((FULL ? MATRIX : SAMPLE).map((c) => [name(c.model), c.target, c] as const))(
    `%s on %s: stack within ${STACK_LIMIT} B`,
    (_model, _target, c) => {
      const m = measure(c);
      if (m === null) {
        console.log(`${name(c.model)} ${c.target}: does not fit the board (skipped)`);
        return;
      }
      console.log(`${name(c.model).padEnd(40)} ${c.target.padEnd(11)} arena ${String(m.arenaBytes).padStart(7)}  stack ${String(m.stackBytes).padStart(5)}`);
      expect(m.stackBytes).toBeLessThanOrEqual(STACK_LIMIT);
      // a figure that missed the kernels' frames would pass the bound by itself: invoke calls at least one
      expect(m.stackBytes).toBeGreaterThan(64);
    },
    600_000,
  );

  it(`person_detect on cortex-m4: arena + stack within ${PERSON_DETECT_M4_RAM.toLocaleString('en-US')} B`, () => {
    const m = measure({ model: PERSON_DETECT, target: 'cortex-m4', mustFit: true })!;
    console.log(`person_detect cortex-m4: arena ${m.arenaBytes} + stack ${m.stackBytes} = ${m.arenaBytes + m.stackBytes} B (limit ${PERSON_DETECT_M4_RAM})`);
    expect(m.arenaBytes + m.stackBytes).toBeLessThanOrEqual(PERSON_DETECT_M4_RAM);
    expect(m.stackBytes).toBeGreaterThan(100);
  }, 600_000);
});
