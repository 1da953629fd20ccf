/**
 * The NEON conv and softmax variants (src/codegen/isa/neon/conv/, softmax/): each key is reachable by
 * `tuning.only` on a layer it takes, names the kernel through the one grammar (the tile, the
 * structure flags, the ISA of its key), and renders through its templates. The emulated runs are
 * in test/cross/neon.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { convVariants } from '../../src/codegen/isa/neon/conv/index.js';
import { softmaxVariants } from '../../src/codegen/isa/neon/softmax/index.js';
import { targetByName } from '../../src/targets/index.js';
import { loadDescriptionObject } from '../helpers/models.js';

/** A stem conv (and a softmax head) on `dtype`. */
function graph(dtype: 'float32' | 'int8', input: { height: number; width: number; channels: number }, filters: number, seed: number) {
  return loadDescriptionObject(
    {
      architecture: 'layers',
      input,
      dtype,
      weights: { seed },
      ...(dtype === 'int8' ? { calibration: { seed: seed + 1, count: 2 } } : {}),
      layers: [
        { op: 'conv', filters, kernel: 3, stride: 2, padding: 'same', activation: 'relu6' },
        { op: 'avgpool', size: 'global' },
        { op: 'fc', units: 20 },
        { op: 'softmax' },
      ],
    },
    'nc',
  );
}

/** Until the provider lists these variants itself, its adapter keys must be allowed too. */

function kernels(target: string, dtype: 'float32' | 'int8', only: string, input = { height: 16, width: 16, channels: 3 }, filters = 16) {
  const project = generateProject(graph(dtype, input, filters, 11), { name: 'nc', target: targetByName(target), kernels: 'simd', tuning: { only: [only] } });
  const names = project.layers.map((l) => l.kernel);
  return { conv: names[0]!, softmax: names.at(-1)!, source: project.files.get('nc.c') as string };
}

/** key -> target, dtype, what the name spells (isa / tile / structure flags). */
const CASES: [string, string, 'float32' | 'int8', string][] = [
  ['neondot/conv/sdotpk', 'rpi5', 'int8', 'neondot/4x16/rows+gather'],
  ['neondot/conv/sdot', 'rpi5', 'int8', 'neondot/4x16/rows'],
  ['neondot/conv/sdottile', 'rpi5', 'int8', 'neondot/4x16/'],
  ['neon/conv/mla', 'rpi4', 'int8', 'neon/4x16/rows+mla'],
  ['neon/conv/rows', 'rpi4', 'int8', 'neon/4x16/rows'],
  ['neon/conv/rows', 'rpi4', 'float32', 'neon/4x16/rows'],
  ['neon/conv/tile', 'rpi4', 'float32', 'neon/4x16/'],
  ['neon/conv/tile', 'rpi5', 'int8', 'neon/4x16/'],
  ['neon32/conv/tile', 'rpi-armv7', 'int8', 'neon32/2x16/'],
  ['neon/conv/general', 'rpi4', 'int8', 'neon//'],
  ['neon32/conv/general', 'rpi-armv7', 'float32', 'neon32//'],
];

describe('NEON conv variants', () => {
  it('are keyed <isa>/conv/<variant>, once each, and every key has a case here', () => {
    const keys = convVariants.map((v) => v.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const v of convVariants) expect(v.key.startsWith(`${v.isa}/conv/`)).toBe(true);
    expect([...new Set(CASES.map((c) => c[0]))].sort()).toEqual([...keys].sort());
  });

  it.each(CASES)('%s on %s %s names its kernel %s', (key, target, dtype, spelt) => {
    const { conv: name, source } = kernels(target, dtype, key);
    const conv = parseKernelName(name);
    const structure = (['rows', 'gather', 'mla'] as const).filter((f) => conv.flags?.[f] !== undefined);
    expect(`${conv.isa}/${conv.tile ?? ''}/${structure.join('+')}`).toBe(spelt);
    expect([conv.op, conv.dtype, conv.shape, conv.window]).toEqual([
      'conv',
      dtype === 'int8' ? 's8' : 'f32',
      '16x16x3_16',
      { kH: 3, kW: 3, sH: 2, sW: 2, padding: 'same' },
    ]);
    // every channel of these layers shifts right: the tiles spell it (the general kernel's code does not depend on it)
    expect(conv.flags?.rn).toBe(dtype === 'int8' && !key.endsWith('/general') ? true : undefined);
    expect(source).toContain(`static void mobilec_conv_`);
  });

  it.each([
    ['neondot/conv/sdotpk', 'rpi5', 'neondot/4x8/rows+gather'],
    ['neon/conv/rows', 'rpi4', 'neon/4x8/rows'],
  ])('an 8-channel int8 stem takes %s on %s as %s (4 pixels x 8 channels)', (key, target, spelt) => {
    const { conv: name } = kernels(target, 'int8', key, { height: 96, width: 96, channels: 3 }, 8);
    const conv = parseKernelName(name);
    const structure = (['rows', 'gather', 'mla'] as const).filter((f) => conv.flags?.[f] !== undefined);
    expect(`${conv.isa}/${conv.tile ?? ''}/${structure.join('+')}`).toBe(spelt);
    expect(conv.shape).toBe('96x96x3_8');
  });

  it('a key that does not take the layer leaves it to the generic kernel', () => {
    const { source } = kernels('rpi4', 'int8', 'neondot/conv/sdotpk');
    expect(source).not.toMatch(/mobilec_conv_s8_neon/);
  });
});

describe('NEON softmax variants', () => {
  it.each([
    ['float32', 'neon/softmax/f32', undefined],
    ['int8', 'neon/softmax/tbl', 444],
  ] as const)('%s: %s on rpi4 (tbl chunks %s)', (dtype, key, tbl) => {
    expect(softmaxVariants.map((v) => v.key)).toContain(key);
    const { softmax } = kernels('rpi4', dtype, key);
    const id = parseKernelName(softmax);
    expect([id.op, id.isa, id.shape, id.flags?.tbl]).toEqual(['softmax', 'neon', '1x20', tbl]);
  });

  it('armv7 keeps the generic softmax', () => {
    const { softmax } = kernels('rpi-armv7', 'float32', 'neon/softmax/f32');
    expect(softmax).not.toMatch(/_neon/);
  });
});
