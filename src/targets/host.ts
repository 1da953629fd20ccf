import type { Target } from './types.js';

/** The machine mobilec runs on (x86-64 here), plain C kernels. */
export const host: Target = {
  name: 'host',
  cc: 'cc',
  cflags: ['-O2'],
  arch: 'native',
  simd: 'none',
  platform: 'host',
  emulator: { kind: 'addon' },
  packages: ['gcc'],
};
