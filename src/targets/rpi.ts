import type { Target } from './types.js';

/** Raspberry Pi (Cortex-A, Linux): static executables under QEMU user mode. */
function rpi(name: string, arch: 'aarch64' | 'armv7', cpu: string, simd: Target['simd'], extraFlags: readonly string[] = []): Target {
  const aarch64 = arch === 'aarch64';
  const cc = aarch64 ? 'aarch64-linux-gnu-gcc' : 'arm-linux-gnueabihf-gcc';
  return {
    name,
    cc,
    cflags: [`-mcpu=${cpu}`, ...extraFlags, '-O3'],
    arch: aarch64 ? 'aarch64' : 'armv7-a',
    simd,
    platform: 'linux',
    emulator: { kind: 'user', command: aarch64 ? 'qemu-aarch64' : 'qemu-arm', cpu },
    packages: aarch64 ? ['gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross', 'qemu-user'] : ['gcc-arm-linux-gnueabihf', 'libc6-dev-armhf-cross', 'qemu-user'],
  };
}

/**
 * Raspberry Pi 3 / Zero 2 W: Cortex-A53, aarch64 NEON without dot product, in order (dual issue). It runs
 * rpi4's aarch64 kernels unchanged; `npm run bench:a53` shows their hot loops under llvm-mca for both cores.
 */
export const rpi3 = rpi('rpi3', 'aarch64', 'cortex-a53', 'neon');
export const rpi4 = rpi('rpi4', 'aarch64', 'cortex-a72', 'neon');
/** Cortex-A76 is Armv8.2-A with the dot-product instructions (SDOT/UDOT). */
export const rpi5 = rpi('rpi5', 'aarch64', 'cortex-a76', 'neon-dotprod');
export const rpiArmv7 = rpi('rpi-armv7', 'armv7', 'cortex-a7', 'neon', ['-mfpu=neon-vfpv4', '-mfloat-abi=hard']);
