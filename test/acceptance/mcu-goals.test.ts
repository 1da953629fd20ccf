/**
 * Issue 4's figures, read the way a user reads them: `mobilec run … --json`
 * and `mobilec inspect --target … --json` on person_detect under QEMU.
 * Exact outputs, the RAM and flash goals, and fewer executed instructions
 * than TensorFlow Lite Micro + CMSIS-NN on the same boards.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import { targetByName } from '../../src/targets/index.js';
import { mobilec } from '../helpers/cli.js';
import { EXPECTED_DIR, PERSON_DETECT, skipShared } from '../helpers/shared.js';

const TARGETS = ['cortex-m4', 'cortex-m33', 'cortex-m55'] as const;
const tools = TARGETS.every((t) => mcuToolsAvailable(targetByName(t)));
const skip = skipShared || (!tools && process.env.CI !== 'true');

/** TFLM + CMSIS-NN, QEMU 7.2, instructions executed by one Invoke() of person_detect (issue 4; not measured on the M33 board). */
const TFLM_CMSIS_NN: Readonly<Record<string, number>> = { 'cortex-m4': 22_930_148, 'cortex-m55': 6_509_818 };
/**
 * RAM: the arena within 37,000 B (issue 4) on the M55; on the DSP targets, whose kernels take their working buffers
 * from arena scratch instead of the stack (issue 15), arena + stack within 38,960 B (test/cross/stack.test.ts).
 */
const RAM_GOAL: Readonly<Record<string, number>> = { 'cortex-m4': 38_960, 'cortex-m33': 38_960 };
/** Issue 4's goals for mobilec; the M33 runs the M4's DSP kernels, so it is held to the M4's goal. */
const GOAL = { 'cortex-m4': 11_000_000, 'cortex-m33': 11_000_000, 'cortex-m55': 3_000_000 } as const;

describe.skipIf(skip)('person_detect on Cortex-M (kernels simd)', () => {
  for (const target of TARGETS) {
    it(`${target}: exact output, ${RAM_GOAL[target] ? `arena + stack ≤ ${RAM_GOAL[target].toLocaleString('en-US')} B` : 'arena ≤ 37,000 B'}, code ≤ 16 KB, instructions within the goal (TFLM + CMSIS-NN: about 2x more)`, () => {
      const r = mobilec(['run', PERSON_DETECT, '--target', target, '--input', join(EXPECTED_DIR, 'person_detect.person.input.bin'), '--json']);
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.output).toEqual([-113, 113]);
      if (RAM_GOAL[target] !== undefined) expect(j.arenaBytes + j.stackBytes).toBeLessThanOrEqual(RAM_GOAL[target]);
      else expect(j.arenaBytes).toBeLessThanOrEqual(37_000);
      expect(j.codeBytes).toBeGreaterThan(0);
      expect(j.codeBytes).toBeLessThanOrEqual(16_384);
      if (TFLM_CMSIS_NN[target] !== undefined) expect(j.instructions).toBeLessThan(TFLM_CMSIS_NN[target]);
      expect(j.instructions).toBeLessThanOrEqual(GOAL[target]);
      expect(j.macs).toBe(7_157_888);

      const inspect = JSON.parse(mobilec(['inspect', PERSON_DETECT, '--target', target, '--json']).stdout);
      const m = inspect.memory;
      expect(m.arenaBytes).toBe(j.arenaBytes);
      expect(m.codeBytes).toBe(j.codeBytes);
      expect(m.stackBytes).toBeGreaterThan(0);
      expect(m.ramBytes).toBe(m.arenaBytes + m.stackBytes);
      expect(m.flashBytes).toBe(m.weightBytes + m.codeBytes);
    });
  }
});
