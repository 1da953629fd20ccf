import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  formatKernelId,
  KERNEL_DTYPES,
  KERNEL_FLAGS,
  KERNEL_ISAS,
  KERNEL_OPS,
  parseKernelName,
  type KernelFlag,
  type KernelId,
} from '../../src/codegen/kernelId.js';

describe('kernel names', () => {
  it('spell a configuration in one fixed order', () => {
    const id: KernelId = {
      op: 'dw',
      dtype: 's8',
      isa: 'neon',
      tile: '3x8',
      flags: { clamp: true, rn: true, dm: 2 },
      window: { kH: 3, kW: 3, sH: 2, sW: 2, padding: 'same' },
      shape: '48x48x8_16',
    };
    expect(formatKernelId(id)).toBe('mobilec_dw_s8_neon_t3x8_rn_clamp_dm2_k3s2same_48x48x8_16');
    expect(formatKernelId({ op: 'conv', dtype: 'u8', isa: 'c', window: { kH: 3, kW: 1, sH: 1, sW: 2, padding: 'valid' } })).toBe(
      'mobilec_conv_u8_c_k3x1s1x2valid',
    );
  });

  it('parse back to the same configuration', () => {
    const flagNames = Object.keys(KERNEL_FLAGS) as KernelFlag[];
    const arb = fc.record({
      op: fc.constantFrom(...KERNEL_OPS),
      dtype: fc.constantFrom(...KERNEL_DTYPES),
      isa: fc.constantFrom(...KERNEL_ISAS),
      tile: fc.option(
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 3 }).map((a) => a.join('x')),
        { nil: undefined },
      ),
      flags: fc.subarray(flagNames).map((fs) => Object.fromEntries(fs.map((f) => [f, f === 'dm' ? 4 : true]))),
      window: fc.option(
        fc.record({
          kH: fc.integer({ min: 1, max: 7 }),
          kW: fc.integer({ min: 1, max: 7 }),
          sH: fc.integer({ min: 1, max: 3 }),
          sW: fc.integer({ min: 1, max: 3 }),
          padding: fc.constantFrom('same' as const, 'valid' as const),
        }),
        { nil: undefined },
      ),
      shape: fc.option(
        fc
          .tuple(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 3 }), fc.option(fc.integer({ min: 1, max: 1024 })))
          .map(([d, o]) => d.join('x') + (o === null ? '' : `_${o}`)),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(arb, (id) => {
        const name = formatKernelId(id);
        const back = parseKernelName(name);
        expect(formatKernelId(back)).toBe(name);
        expect(back.op).toBe(id.op);
        expect(back.isa).toBe(id.isa);
        expect(back.tile).toBe(id.tile);
        expect(back.shape).toBe(id.shape);
        expect(back.window).toEqual(id.window);
        expect(back.flags).toEqual(id.flags);
      }),
      { numRuns: 500 },
    );
  });

  it('refuse names outside the grammar', () => {
    expect(() => parseKernelName('mobilec_pw_int8_neon_4x16')).toThrow(/not a kernel name/);
    expect(() => parseKernelName('mobilec_pw_s8_neon_bogus_4x16')).toThrow(/grammar/);
    expect(() => formatKernelId({ op: 'pw', dtype: 's8', isa: 'neon', tile: '4-16' })).toThrow(/tile/);
  });
});
