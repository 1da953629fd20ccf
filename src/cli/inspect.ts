import { inspectGraph, formatInspect } from '../inspect/inspect.js';
import { prepareModel, type BudgetOptions } from './prepare.js';
import { runnerFor } from '../cross/index.js';

export function inspectCommand(model: string, opts: { target: string; json: boolean } & BudgetOptions): void {
  // The arena is the one the generated C would use: kernels are chosen
  // first, since a kernel that streams may run in place.
  const { graph, project, target } = prepareModel(model, { ...opts, kernels: 'simd' });
  // On a cross target, the code and stack come from building what ships.
  const build = target.emulator.kind === 'addon' ? { codeBytes: null, stackBytes: null } : runnerFor(target).measure(project, target);
  const report = inspectGraph(graph, project.arena, target.name, { weightBytes: project.weightBytes, ...build }, project.layers);
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInspect(report)}\n`);
}
