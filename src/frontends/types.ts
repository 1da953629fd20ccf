/**
 * What every frontend hands to the passes: a float (or already quantized)
 * graph, plus a request to post-training-quantize it when the model asks for
 * an integer dtype it does not carry weights for (JSON descriptions).
 */
import type { Graph } from '../model/ir.js';

/** Where PTQ calibration inputs come from. File paths are absolute. */
export type Calibration = { kind: 'seeded'; seed: number; count: number } | { kind: 'files'; paths: string[] };

export interface FrontendResult {
  graph: Graph;
  quantize?: { dtype: 'int8'; calibration: Calibration };
}
