/** `BENCH_LAYERS=1` in the benches: where the SIMD instructions go, layer by layer (stderr, a Markdown table). */
import type { GeneratedProject } from '../codegen/index.js';
import type { CrossRunResult } from '../cross/types.js';

export const BENCH_LAYERS = process.env.BENCH_LAYERS === '1';

export function printLayerProfile(title: string, project: GeneratedProject, layerInstructions: readonly number[]): void {
  const lines = [`per layer, ${title}:`, '| # | op | kernel | MACs | instructions | per MAC |', '| --- | --- | --- | --- | --- | --- |'];
  project.layers.forEach((l, i) => {
    const n = layerInstructions[i]!;
    lines.push(`| ${i} | ${l.op} | ${l.kernel} | ${l.macs} | ${n} | ${l.macs ? (n / l.macs).toFixed(3) : '-'} |`);
  });
  console.error(lines.join('\n'));
}

/** One layer of `run --profile` (and of the report's profiled columns). */
export interface ProfileLayer {
  readonly index: number;
  readonly op: string;
  readonly variant: string;
  readonly macs: number;
  readonly instructions: number;
  /** Estimated cycles of the layer, null where the target has no cycle model. */
  readonly cycles: number | null;
}

/** The per-layer profile of a `profileLayers` run, null when the run did not count layers. */
export function layerProfile(project: GeneratedProject, result: CrossRunResult): ProfileLayer[] | null {
  const perLayer = result.layerInstructions;
  if (!perLayer) return null;
  const perLayerCycles = result.layerCycles ?? null;
  return project.layers.map((l, i) => ({
    index: i,
    op: l.op,
    variant: l.kernel,
    macs: l.macs,
    instructions: perLayer[i]!,
    cycles: perLayerCycles ? perLayerCycles[i]! : null,
  }));
}
