/**
 * The model's own layout at the boundary (docs/CONTRACT.md, "Raw tensors"):
 * the IR is NHWC, but a model whose file is NCHW (ONNX, `Graph.source`) is
 * fed and read in NCHW. The generated C transposes at the boundary (invoke
 * reads an NCHW input buffer and writes an NCHW output buffer; the layers in
 * between, their hooks and the reference stay NHWC), so the C API, the Node
 * binding, `run` and firmware all see the model's layout. This module says
 * where the boundary differs from the IR and converts data across it.
 */
import { internalError } from './errors.js';
import type { Graph, Tensor, TensorData } from './ir.js';

export type BoundarySide = 'input' | 'output';

/** How one graph input/output is seen outside: its shape, and whether its data is the IR tensor's transposed NHWC → NCHW. */
export interface BoundaryTensor {
  readonly tensor: Tensor;
  /** The shape a user sees (the model file's), outermost first. */
  readonly shape: readonly number[];
  /** The layout of a rank-4 shape (null for other ranks). */
  readonly layout: 'NCHW' | 'NHWC' | null;
  /** NCHW outside, NHWC inside, and the orders differ (more than one channel and one pixel): the data is transposed at the boundary. */
  readonly transposed: boolean;
}

/** The graph's (first) input or output as the user sees it. */
export function boundaryTensor(graph: Graph, side: BoundarySide): BoundaryTensor {
  const id = side === 'input' ? graph.inputs[0] : graph.outputs[0];
  const tensor = id === undefined ? undefined : graph.tensors[id];
  if (!tensor) throw internalError(`graph ${graph.name} has no ${side}`);
  const src = graph.source;
  const shape = src?.layout === 'NCHW' ? (side === 'input' ? src.inputShapes[0] : src.outputShapes[0]) : undefined;
  if (!shape) return { tensor, shape: tensor.shape, layout: tensor.shape.length === 4 ? 'NHWC' : null, transposed: false };
  const ir = tensor.shape;
  const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  if (shape.length === 4) {
    const [n, c, h, w] = shape as [number, number, number, number];
    if (ir.length !== 4 || ir[0] !== n || ir[1] !== h || ir[2] !== w || ir[3] !== c) {
      throw internalError(`graph ${graph.name}: ${side} [${ir.join(', ')}] is not the NHWC form of the model's [${shape.join(', ')}]`);
    }
    // One channel or one pixel: NCHW and NHWC order agree, nothing to transpose.
    return { tensor, shape, layout: 'NCHW', transposed: c !== 1 && h * w !== 1 };
  }
  if (count(shape) !== count(ir)) throw internalError(`graph ${graph.name}: ${side} [${ir.join(', ')}] does not hold the model's [${shape.join(', ')}]`);
  return { tensor, shape, layout: null, transposed: false };
}

function transpose(data: TensorData, n: number, outer: number, inner: number): TensorData {
  // Per batch: y[j * outer + i] = x[i * inner + j] (a [outer, inner] matrix transposed).
  const out = new (data.constructor as new (length: number) => TensorData)(data.length);
  const per = outer * inner;
  for (let b = 0; b < n; b++) {
    const base = b * per;
    for (let i = 0; i < outer; i++) for (let j = 0; j < inner; j++) out[base + j * outer + i] = data[base + i * inner + j]!;
  }
  return out;
}

/** IR (NHWC) data → the user's layout. */
export function toUserLayout(b: BoundaryTensor, data: TensorData): TensorData {
  if (!b.transposed) return data;
  const [n, c, h, w] = b.shape as [number, number, number, number];
  return transpose(data, n, h * w, c);
}

/** The user's layout → IR (NHWC) data. */
export function fromUserLayout(b: BoundaryTensor, data: TensorData): TensorData {
  if (!b.transposed) return data;
  const [n, c, h, w] = b.shape as [number, number, number, number];
  return transpose(data, n, c, h * w);
}
