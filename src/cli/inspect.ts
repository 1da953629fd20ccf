import { inspectGraph, formatInspect, type InspectReport } from '../inspect/inspect.js';
import { prepareModel, type BudgetOptions, type Prepared } from './prepare.js';
import { runnerFor } from '../cross/index.js';

/** The `inspect --json` data model of a prepared model; on a cross target the code and stack come from building what ships. */
export function inspectPrepared(prepared: Prepared): InspectReport {
  const { graph, project, target } = prepared;
  const build = target.emulator.kind === 'addon' ? { codeBytes: null, stackBytes: null } : runnerFor(target).measure(project, target);
  return inspectGraph(graph, project.arena, target.name, { weightBytes: project.weightBytes, ...build }, project.layers);
}

export function inspectCommand(model: string, opts: { target: string; json: boolean } & BudgetOptions): void {
  // The arena is the one the generated C would use: kernels are chosen
  // first, since a kernel that streams may run in place.
  const report = inspectPrepared(prepareModel(model, { ...opts, kernels: 'simd' }));
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInspect(report)}\n`);
}
