/**
 * A compilation target: which compiler builds the generated C and with what
 * flags, and which SIMD extension the `simd` kernels may use. Declarative:
 * no behaviour lives here.
 */
export type SimdExtension = 'none' | 'neon' | 'neon-dotprod' | 'dsp' | 'helium';

export interface Target {
  /** CLI name, e.g. `host`, `rpi4`, `cortex-m4`. */
  readonly name: string;
  /** C compiler command. */
  readonly cc: string;
  /** Flags for compiling the generated C (architecture, optimisation). */
  readonly cflags: readonly string[];
  /** SIMD extension the `simd` kernel variant targets; `none` = generic only. */
  readonly simd: SimdExtension;
}
