/**
 * The pass pipeline every consumer (CLI, reference, codegen) reads from:
 * validate → fold batch norm → fuse activations → fuse pads → PTQ (when requested) →
 * requantize → validate.
 */
import type { Graph } from '../model/ir.js';
import type { FrontendResult } from '../frontends/types.js';
import { validateGraph } from './validate.js';
import { foldBatchNorm } from './foldBatchNorm.js';
import { fuseActivations } from './fuseActivations.js';
import { fusePad } from './fusePad.js';
import { quantizeGraph } from './quantize.js';
import { requantize } from './requantize.js';
import { calibrationInputs } from './calibration.js';

export { validateGraph } from './validate.js';
export { foldBatchNorm } from './foldBatchNorm.js';
export { fuseActivations } from './fuseActivations.js';
export { fusePad } from './fusePad.js';
export { quantizeGraph, calibrate, activationQuant, quantizeWeights, quantizeBias } from './quantize.js';
export { requantize } from './requantize.js';
export { calibrationInputs } from './calibration.js';
export { compact } from './graphUtils.js';

/** Float graph with batch norm folded, activations fused and pads fused into their convolution. */
export function simplifyGraph(graph: Graph): Graph {
  return fusePad(fuseActivations(foldBatchNorm(validateGraph(graph))));
}

export function prepareGraph(result: FrontendResult): Graph {
  let g = simplifyGraph(result.graph);
  if (result.quantize) {
    const input = g.tensors[g.inputs[0]!]!;
    g = quantizeGraph(g, calibrationInputs(result.quantize.calibration, input.shape));
  }
  return validateGraph(requantize(g), 'internal');
}
