/** `BENCH_LAYERS=1` in the benches: where the SIMD instructions go, layer by layer (stderr, a Markdown table). */
import type { GeneratedProject } from '../codegen/index.js';

export const BENCH_LAYERS = process.env.BENCH_LAYERS === '1';

export function printLayerProfile(title: string, project: GeneratedProject, layerInstructions: readonly number[]): void {
  const lines = [`per layer, ${title}:`, '| # | op | kernel | MACs | instructions | per MAC |', '| --- | --- | --- | --- | --- | --- |'];
  project.layers.forEach((l, i) => {
    const n = layerInstructions[i]!;
    lines.push(`| ${i} | ${l.op} | ${l.kernel} | ${l.macs} | ${n} | ${l.macs ? (n / l.macs).toFixed(3) : '-'} |`);
  });
  console.error(lines.join('\n'));
}
