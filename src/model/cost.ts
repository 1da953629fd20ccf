/**
 * Work counts (multiply-accumulates) of the layers MobileNet is made of, and
 * the cost comparison of the MobileNet paper (Howard et al. 2017, section 3.1):
 * a standard K×K conv costs K·K·M·N·F·F, a depthwise separable one
 * K·K·M·F·F + M·N·F·F (M input channels, N output channels, F×F output).
 */
import type { Graph, Op } from './ir.js';
import { opDef } from '../ops/registry.js';

/** MACs of a standard convolution. */
export function convMacs(kh: number, kw: number, cin: number, cout: number, hout: number, wout: number): number {
  return kh * kw * cin * cout * hout * wout;
}

/** MACs of a depthwise convolution with `multiplier` outputs per input channel. */
export function depthwiseMacs(kh: number, kw: number, channels: number, multiplier: number, hout: number, wout: number): number {
  return kh * kw * channels * multiplier * hout * wout;
}

/** MACs of a fully connected layer. */
export function fullyConnectedMacs(inputs: number, outputs: number): number {
  return inputs * outputs;
}

export interface SeparableCost {
  /** K·K·M·N·F·F */
  readonly standard: number;
  /** K·K·M·F·F + M·N·F·F */
  readonly separable: number;
  /** separable / standard = 1/N + 1/K² */
  readonly ratio: number;
}

/** Standard vs depthwise-separable cost: kernel k, m input channels, n output channels, f×f output. */
export function separableVsStandard(k: number, m: number, n: number, f: number): SeparableCost {
  const standard = convMacs(k, k, m, n, f, f);
  const separable = depthwiseMacs(k, k, m, 1, f, f) + convMacs(1, 1, m, n, f, f);
  return { standard, separable, ratio: separable / standard };
}

/** MACs of one op of a graph (its definition's `macs`: conv, depthwise and FC; 0 for everything else). */
export function opMacs(graph: Graph, op: Op): number {
  return opDef(op).macs?.(op, graph) ?? 0;
}

/** Total MACs of a graph. */
export function graphMacs(graph: Graph): number {
  let n = 0;
  for (const op of graph.ops) n += opMacs(graph, op);
  return n;
}
