import type { Target } from './types.js';

/** Raspberry Pi (Cortex-A, Linux): static executables under QEMU user mode. */
export const rpi4: Target = {
  name: 'rpi4',
  cc: 'aarch64-linux-gnu-gcc',
  cflags: ['-mcpu=cortex-a72', '-O3'],
  simd: 'neon',
  platform: 'linux',
  emulator: { kind: 'user', command: 'qemu-aarch64', cpu: 'cortex-a72' },
  packages: ['gcc-aarch64-linux-gnu', 'qemu-user'],
};

export const rpi5: Target = {
  name: 'rpi5',
  cc: 'aarch64-linux-gnu-gcc',
  cflags: ['-mcpu=cortex-a76', '-O3'],
  simd: 'neon-dotprod',
  platform: 'linux',
  emulator: { kind: 'user', command: 'qemu-aarch64', cpu: 'cortex-a76' },
  packages: ['gcc-aarch64-linux-gnu', 'qemu-user'],
};

export const rpiArmv7: Target = {
  name: 'rpi-armv7',
  cc: 'arm-linux-gnueabihf-gcc',
  cflags: ['-mcpu=cortex-a7', '-mfpu=neon-vfpv4', '-mfloat-abi=hard', '-O3'],
  simd: 'neon',
  platform: 'linux',
  emulator: { kind: 'user', command: 'qemu-arm', cpu: 'cortex-a7' },
  packages: ['gcc-arm-linux-gnueabihf', 'qemu-user'],
};
