import type { Target } from './types.js';

/** Cortex-M microcontrollers, each on the QEMU board with that core. */
const MCU_PACKAGES = ['gcc-arm-none-eabi', 'libnewlib-arm-none-eabi', 'qemu-system-arm'] as const;

function cortexM(core: string, arch: Target['arch'], simd: Target['simd'], fpu: readonly string[], machine: string): Target {
  return {
    name: core,
    cc: 'arm-none-eabi-gcc',
    cflags: [`-mcpu=${core}`, '-mthumb', ...fpu, '-O2'],
    arch,
    simd,
    platform: 'bare-metal',
    emulator: { kind: 'system', command: 'qemu-system-arm', machine, cpu: core },
    packages: MCU_PACKAGES,
  };
}

export const cortexM3 = cortexM('cortex-m3', 'armv7-m', 'none', ['-mfloat-abi=soft'], 'mps2-an385');
export const cortexM4 = cortexM('cortex-m4', 'armv7e-m', 'dsp', ['-mfloat-abi=hard', '-mfpu=fpv4-sp-d16'], 'mps2-an386');
export const cortexM7 = cortexM('cortex-m7', 'armv7e-m', 'dsp', ['-mfloat-abi=hard', '-mfpu=fpv5-d16'], 'mps2-an500');
/** Armv8-M Mainline with the DSP extension and a single-precision FPU (RP2350, STM32U5, nRF5340): the M4's DSP kernels. */
export const cortexM33 = cortexM('cortex-m33', 'armv8-m.main', 'dsp', ['-mfloat-abi=hard', '-mfpu=fpv5-sp-d16'], 'mps2-an505');
export const cortexM55 = cortexM('cortex-m55', 'armv8.1-m', 'helium', ['-mfloat-abi=hard'], 'mps3-an547');
