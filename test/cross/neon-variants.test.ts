/**
 * The NEON kernel variants as data (src/codegen/isa/neon/index.ts): the provider lists, and
 * `tuning.only` reaching variants the preference order hides, run under QEMU against the reference.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { allSimdVariants } from '../../src/codegen/isa/index.js';
import { neonDotprodKernels, neonKernels } from '../../src/codegen/isa/neon/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { missingLinuxTools } from '../../src/cross/linux.js';
import { targetByName } from '../../src/targets/index.js';
import { verifyInputs } from '../../src/verify/verify.js';
import { description, layersOnTarget, tryLoad } from '../helpers/graphOnTarget.js';

const missing = missingLinuxTools(targetByName('rpi4'));
const skip = missing.length > 0 && process.env.CI !== 'true';
const kid = parseKernelName;

describe('NEON kernel variants as data', () => {
  it('keys are unique, spelt <isa>/<family>/<variant> with the variant ISA, and registered', () => {
    const all = allSimdVariants();
    for (const provider of [neonKernels, neonDotprodKernels]) {
      const keys = provider.variants.map((v) => v.key);
      expect(new Set(keys).size).toBe(keys.length);
      for (const v of provider.variants) {
        expect(v.key).toMatch(/^(neon|neon32|neondot)\/[a-z0-9]+\/[a-z0-9-]+$/);
        expect(v.key.split('/')[0]).toBe(v.isa);
        expect(all.get(v.key)).toBe(v);
      }
    }
    // Preference order: packed-pixel GEMM kernels before the register-blocked tiles; rpi5 has no SMULL-pair tile.
    const rpi4 = neonKernels.variants.map((v) => v.key);
    expect(rpi4.indexOf('neon/gemm/s8-packed')).toBeLessThan(rpi4.indexOf('neon/gemm/s8'));
    expect(rpi4.indexOf('neon/gemm/f32-packed')).toBeLessThan(rpi4.indexOf('neon/gemm/f32'));
    // uint8 layers: the packed int8 kernels on their int8 form (u8.ts) before the int16-widened tiles
    expect(rpi4.indexOf('neon/gemm/u8-packed')).toBeGreaterThanOrEqual(0);
    expect(rpi4.indexOf('neon/gemm/u8-packed')).toBeLessThan(rpi4.indexOf('neon/gemm/s16'));
    expect(rpi4.indexOf('neon32/gemm/u8-packed')).toBeGreaterThanOrEqual(0);
    expect(rpi4.indexOf('neon32/gemm/u8-packed')).toBeLessThan(rpi4.indexOf('neon32/gemm/s16'));
    const rpi5 = neonDotprodKernels.variants.map((v) => v.key);
    expect(rpi5.indexOf('neondot/gemm/u8-udot')).toBeLessThan(rpi5.indexOf('neondot/gemm/u8-sdot'));
    expect(rpi5.indexOf('neondot/gemm/u8-sdot')).toBeLessThan(rpi5.indexOf('neon/gemm/s16'));
    expect(rpi5).not.toContain('neon/gemm/s8');
  });
});

/**
 * `tuning.only` reaches a variant the preference order hides: on rpi4 the packed int8 kernel takes every
 * pointwise layer with K % 16 == 0 (and the packed float kernel every one with cout % 8 == 0), so the
 * int8 SMULL-pair tile's assembly (partial neon/gemm/s8_asm) and the float tile's (f32_asm) run only when
 * chosen explicitly.
 */
describe.skipIf(skip)('rpi4 NEON variants chosen by tuning', () => {
  it.each([
    ['int8', 'neon/gemm/s8', 'neon 4x1 w8'],
    ['float32', 'neon/gemm/f32', 'neon 4x4 -'],
  ] as const)('%s: the %s tile with its assembly agrees with the reference', (dtype, key, expected) => {
    const target = targetByName('rpi4');
    const graph = tryLoad(
      description(
        { height: 3, width: 5, channels: 32 },
        [
          { op: 'pointwise', filters: 24, activation: 'relu6' },
          { op: 'pointwise', filters: 16, activation: 'none' },
        ],
        dtype,
        77,
      ),
    )!;
    const project = generateProject(graph, { name: graph.name, target, kernels: 'simd', tuning: { only: [key] } });
    const ids = project.layers.map((l) => kid(l.kernel)!);
    expect(ids.map((id) => `${id.isa} ${id.tile} ${id.flags?.w8 ? 'w8' : '-'}`)).toEqual([expected, expected]);
    const source = project.files.get(`${project.name}.c`) as string;
    expect(source).toContain(`${project.layers[0]!.kernel}_asm(`);
    const report = layersOnTarget(graph, project, target, verifyInputs(graph, 2));
    expect(report.layers.map((l) => l.mismatches)).toEqual([0, 0]);
  });
});
