/**
 * A compilation target: which compiler builds the generated C and with what
 * flags, which SIMD extension the `simd` kernels may use, and how the result
 * runs here. Declarative: no behaviour lives here.
 */
export type SimdExtension = 'none' | 'neon' | 'neon-dotprod' | 'dsp' | 'helium' | 'avx2';

/**
 * The instruction set the target's code runs on (the kernels' inline assembly is written per architecture);
 * `x86-64`: the host on an x86-64 machine (AVX2 + FMA kernels); `native`: any other host (generic C only).
 */
export type Arch = 'native' | 'x86-64' | 'aarch64' | 'armv7-a' | 'armv7-m' | 'armv7e-m' | 'armv8-m.main' | 'armv8.1-m';

/** How a target's programs run on this machine. */
export type Emulator =
  /** In-process, through the Node addon. */
  | { readonly kind: 'addon' }
  /** A bare-metal firmware image under qemu-system-arm on an MPS2/MPS3 board. */
  | { readonly kind: 'system'; readonly command: 'qemu-system-arm'; readonly machine: string; readonly cpu: string }
  /** A static Linux executable under QEMU user mode. */
  | { readonly kind: 'user'; readonly command: 'qemu-aarch64' | 'qemu-arm'; readonly cpu: string };

export interface Target {
  /** CLI name, e.g. `host`, `rpi4`, `cortex-m4`. */
  readonly name: string;
  /** C compiler command. */
  readonly cc: string;
  /** Flags for compiling the generated C (architecture, optimisation). */
  readonly cflags: readonly string[];
  /** Architecture of the generated code (declared, never guessed from the compiler's name). */
  readonly arch: Arch;
  /** SIMD extension the `simd` kernel variant targets; `none` = generic only. */
  readonly simd: SimdExtension;
  /** 'bare-metal' = no OS, newlib; 'linux' = glibc, static; 'host' = this machine. */
  readonly platform: 'host' | 'linux' | 'bare-metal';
  readonly emulator: Emulator;
  /** Debian packages that provide the compiler and the emulator. */
  readonly packages: readonly string[];
}
