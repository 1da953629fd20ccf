/** The steps every command shares: load the model, pick the target, generate C. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { generateProject, type GeneratedProject, type WeightsForm } from '../codegen/index.js';
import type { Graph } from '../model/ir.js';
import type { KernelTuning } from '../codegen/types.js';
import { checkModelName, defaultModelName, loadModel } from '../pipeline.js';
import { targetByName, type Target } from '../targets/index.js';
import type { KernelChoice } from './options.js';
import { budgetWith, type Budget } from '../model/budget.js';

export interface Prepared {
  readonly graph: Graph;
  readonly target: Target;
  readonly kernels: KernelChoice;
  readonly project: GeneratedProject;
}

/** The `--max-*` options of every command. */
export interface BudgetOptions {
  maxTensorBytes?: number;
  maxWeightBytes?: number;
  maxActivationBytes?: number;
  maxOps?: number;
}

export function budgetOf(o: BudgetOptions): Budget {
  const over: Parameters<typeof budgetWith>[0] = {};
  if (o.maxTensorBytes !== undefined) Object.assign(over, { maxTensorBytes: o.maxTensorBytes });
  if (o.maxWeightBytes !== undefined) Object.assign(over, { maxWeightBytes: o.maxWeightBytes });
  if (o.maxActivationBytes !== undefined) Object.assign(over, { maxActivationBytes: o.maxActivationBytes });
  if (o.maxOps !== undefined) Object.assign(over, { maxOps: o.maxOps });
  return budgetWith(over);
}

export function prepareModel(
  modelPath: string,
  opts: { target: string; kernels: KernelChoice; name?: string; weights?: WeightsForm; tune?: KernelTuning } & BudgetOptions,
): Prepared {
  const graph = loadModel(modelPath, budgetOf(opts));
  const target = targetByName(opts.target);
  const name = opts.name !== undefined ? checkModelName(opts.name) : defaultModelName(modelPath);
  const source = { file: basename(modelPath), sha256: createHash('sha256').update(readFileSync(modelPath)).digest('hex') };
  const project = generateProject(graph, { name, target, kernels: opts.kernels, weights: opts.weights, source, tuning: opts.tune });
  return { graph, target, kernels: opts.kernels, project };
}
