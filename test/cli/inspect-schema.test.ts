/**
 * `inspect --json` against its documented schema (docs/inspect.schema.json,
 * no field left out or undocumented), and its figures against each other:
 * one layer per op, the MACs and parameter bytes summing to the totals,
 * blocks naming real layers, RAM = arena + stack and flash = weights + code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import { targetByName } from '../../src/targets/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';
import { PERSON_DETECT, skipShared } from '../helpers/shared.js';

type AjvClass = typeof AjvModule.default;
const Ajv: AjvClass = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;
const schema = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'docs', 'inspect.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strictTypes: false }).compile(schema);

interface Inspect {
  layers: { index: number; macs: number; paramBytes: number; variant: string; generic: boolean; variantKey: string | null }[];
  totals: { macs: number; paramBytes: number; arenaBytes: number };
  blocks: { layers: number[]; separableMacs: number; expansionMacs: number; depthwiseMacs: number; projectionMacs: number }[];
  memory: Record<string, number | null>;
}

function inspect(model: string, target?: string): Inspect {
  const r = mobilec(['inspect', model, ...(target ? ['--target', target] : []), '--json']);
  expect(r.code, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as unknown;
  expect(validate(j), JSON.stringify(validate.errors)).toBe(true);
  return j as Inspect;
}

function consistent(j: Inspect): void {
  expect(j.layers.map((l) => l.index)).toEqual(j.layers.map((_, i) => i));
  expect(j.layers.reduce((s, l) => s + l.macs, 0)).toBe(j.totals.macs);
  expect(j.layers.reduce((s, l) => s + l.paramBytes, 0)).toBe(j.totals.paramBytes);
  expect(j.memory.arenaBytes).toBe(j.totals.arenaBytes);
  expect(j.memory.arenaLowerBound!).toBeLessThanOrEqual(j.memory.arenaBytes!);
  for (const b of j.blocks) {
    for (const i of b.layers) expect(i).toBeLessThan(j.layers.length);
    expect(b.expansionMacs + b.depthwiseMacs + b.projectionMacs).toBe(b.separableMacs);
  }
  for (const l of j.layers) if (l.generic) expect(l.variantKey).toBeNull();
  const { stackBytes, codeBytes, ramBytes, flashBytes, arenaBytes, weightBytes } = j.memory;
  expect(ramBytes).toBe(stackBytes === null ? null : arenaBytes! + stackBytes);
  expect(flashBytes).toBe(codeBytes === null ? null : weightBytes! + codeBytes);
}

describe('inspect --json: the documented schema, and figures that add up', () => {
  it.each([
    'tiny_layers.json',
    'mobilenet_v1_0.25_96_int8.json',
    'mobilenet_v2_0.35_96_int8.json',
    'mobilenet_v3_small_1.0_224_int8.json',
    'mobilenet_v3_large_1.0_224.json',
  ])('%s on the host', (m) => {
    const j = inspect(join(EXAMPLES, m));
    consistent(j);
    expect([j.memory.stackBytes, j.memory.codeBytes]).toEqual([null, null]);
  });

  it('MobileNetV2 blocks are inverted residuals of 2 or 3 layers, V1 blocks separable pairs', () => {
    const v2 = inspect(join(EXAMPLES, 'mobilenet_v2_0.35_96_int8.json'));
    expect(v2.blocks.length).toBe(17);
    const v1 = inspect(join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'));
    expect(v1.blocks.length).toBe(13);
    for (const b of v1.blocks) expect(b.layers).toHaveLength(2);
  });

  const m4 = targetByName('cortex-m4');
  it.skipIf((!mcuToolsAvailable(m4) || skipShared) && process.env.CI !== 'true')('person_detect on cortex-m4: stack and code measured', () => {
    const j = inspect(PERSON_DETECT, 'cortex-m4');
    consistent(j);
    expect(j.memory.stackBytes).toBeGreaterThan(0);
    expect(j.memory.codeBytes).toBeGreaterThan(0);
  });

  it('the schema refuses a field it does not list', () => {
    const j = inspect(join(EXAMPLES, 'tiny_layers.json')) as unknown as Record<string, unknown>;
    expect(validate({ ...j, extra: 1 })).toBe(false);
    const layers = j.layers as Record<string, unknown>[];
    expect(validate({ ...j, layers: [{ ...layers[0], cycles: 1 }, ...layers.slice(1)] })).toBe(false);
  });
});
