import type { Target } from './types.js';

/**
 * The machine mobilec runs on. Its architecture is this machine's: on x86-64 the float32 and int8 conv,
 * pointwise / FC and depthwise 3x3 layers run the AVX2 + FMA kernels (`src/codegen/isa/avx2`; function attributes, so the
 * flags stay `-O2`, and the model's invoke checks the CPU once); anywhere else plain C kernels.
 */
const x64 = process.arch === 'x64';

export const host: Target = {
  name: 'host',
  cc: 'cc',
  cflags: ['-O2'],
  arch: x64 ? 'x86-64' : 'native',
  simd: x64 ? 'avx2' : 'none',
  platform: 'host',
  emulator: { kind: 'addon' },
  packages: ['gcc'],
};
