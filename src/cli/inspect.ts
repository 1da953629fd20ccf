import { inspectGraph, formatInspect } from '../inspect/inspect.js';
import { planArena } from '../passes/planArena.js';
import { loadModel } from '../pipeline.js';
import { targetByName } from '../targets/index.js';

export function inspectCommand(model: string, opts: { target: string; json: boolean }): void {
  const graph = loadModel(model);
  const target = targetByName(opts.target);
  const report = inspectGraph(graph, planArena(graph), target.name);
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInspect(report)}\n`);
}
