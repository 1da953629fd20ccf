/** `run --profile`: instructions layer by layer on the emulated targets (docs/CONTRACT.md, run --json). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, mobilec } from '../helpers/cli.js';

interface Profiled {
  instructions: number;
  cycles: number | null;
  macs: number;
  layers: { index: number; op: string; variant: string; macs: number; instructions: number; cycles: number | null }[];
}

const model = join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json');

describe('run --profile', () => {
  it.each(['cortex-m4', 'rpi-armv7'])('on %s counts every layer, and the layers add up to the inference', (target) => {
    const r = mobilec(['run', model, '--target', target, '--seed', '3', '--profile', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Profiled;
    const inspect = JSON.parse(mobilec(['inspect', model, '--target', target, '--json']).stdout) as { layers: { variant: string; macs: number }[] };
    expect(j.layers.map((l) => l.variant)).toEqual(inspect.layers.map((l) => l.variant));
    expect(j.layers.map((l) => l.macs)).toEqual(inspect.layers.map((l) => l.macs));
    expect(j.layers.map((l) => l.index)).toEqual(j.layers.map((_, i) => i));
    const sum = j.layers.reduce((s, l) => s + l.instructions, 0);
    // Each window holds its layer plus one hook call; the tail after the last hook is not a layer.
    expect(sum).toBeGreaterThan(j.instructions - 200);
    expect(sum).toBeLessThan(j.instructions + 60 * j.layers.length);
    for (const l of j.layers) expect(l.instructions, `layer ${l.index} ${l.op}`).toBeGreaterThan(l.op === 'reshape' ? 0 : 20);
    // The weighted layers do the work.
    const weighted = j.layers.filter((l) => l.macs > 0).reduce((s, l) => s + l.instructions, 0);
    expect(weighted / sum).toBeGreaterThan(0.9);
    // Estimated cycles: per layer beside the instructions on the Cortex-M4 (its timing table), null elsewhere.
    if (target === 'cortex-m4') {
      const cycles = j.layers.reduce((s, l) => s + l.cycles!, 0);
      expect(cycles).toBeGreaterThan(j.cycles! - 400);
      expect(cycles).toBeLessThan(j.cycles! + 150 * j.layers.length);
      for (const l of j.layers) expect(l.cycles!, `layer ${l.index} ${l.op}`).toBeGreaterThanOrEqual(l.instructions);
    } else {
      expect(j.cycles).toBeNull();
      for (const l of j.layers) expect(l.cycles).toBeNull();
    }
  });

  it('prints a per-layer table, and refuses the host (nothing is counted there)', () => {
    const r = mobilec(['run', model, '--target', 'cortex-m4', '--seed', '3', '--profile']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ #\s+op\s+MACs\s+instructions\s+per MAC\s+cycles\s+cycles\/MAC\s+variant$/m);
    expect(r.stdout).toMatch(/^ 2\s+conv2d\s+294,912\s+[\d,]+\s+\d+\.\d{3}\s+[\d,]+\s+\d+\.\d{3}\s+mobilec_pw_s8_dsp_\w+$/m);
    const host = mobilec(['run', model, '--seed', '3', '--profile']);
    expect(host.code).toBe(2);
    expect(host.stderr).toBe('mobilec: run --profile counts instructions under QEMU: give an emulated --target (cortex-m*, rpi*), not host\n');
  });
});
