/**
 * Running generated C on an emulated target (QEMU user mode for the
 * Raspberry Pi targets, qemu-system-arm boards for the Cortex-M targets).
 * One build serves several inputs, so a verify of N inputs costs one compile.
 */
import type { GeneratedProject } from '../codegen/index.js';
import type { Target } from '../targets/index.js';
import type { Progress } from '../cli/progress.js';

export interface CrossRunOptions {
  /** Build with MOBILEC_LAYER_HOOKS and return every layer's output too. */
  readonly layers: boolean;
  /** Count executed instructions between mobilec_bench_start() and mobilec_bench_stop(). */
  readonly countInstructions: boolean;
  /**
   * Also count every layer on its own (a profile build whose layer hook
   * closes one counting window and opens the next), on every emulated target.
   */
  readonly profileLayers?: boolean;
  /** Where the builds and emulator sessions are announced (stderr progress); none: silent. */
  readonly progress?: Progress;
}

export interface CrossRunResult {
  /** Raw output tensor bytes. */
  readonly output: Uint8Array;
  /** Every layer's output bytes in op order, when `layers` was asked for. */
  readonly layers: Uint8Array[] | null;
  /** Instructions executed by one invoke (between the bench markers). */
  readonly instructions: number | null;
  /** Instructions of each layer in op order (hook call included), when `profileLayers` was asked for. */
  readonly layerInstructions?: number[] | null;
  /**
   * Estimated cycles of one invoke (Cortex-M3, M4, M33: the insn_count
   * plugin's timing-table model), null where no cycle model applies.
   */
  readonly cycles?: number | null;
  /** Estimated cycles of each layer, beside `layerInstructions`, when a cycle model applies. */
  readonly layerCycles?: number[] | null;
}

export interface CrossBuildInfo {
  /** Generated model code in the linked image: text of the model's objects, no weights, no libc. */
  readonly codeBytes: number | null;
  /** Worst-case stack of the entry point, from -fstack-usage. */
  readonly stackBytes: number | null;
}

export interface CrossRunner {
  /** Builds (cached) without running: the code and stack figures of what ships. */
  measure(project: GeneratedProject, target: Target): CrossBuildInfo;
  /** Builds (cached by content hash) and runs each input once. */
  run(
    project: GeneratedProject,
    target: Target,
    inputs: readonly Uint8Array[],
    opts: CrossRunOptions,
  ): {
    readonly results: CrossRunResult[];
    readonly build: CrossBuildInfo;
  };
}
