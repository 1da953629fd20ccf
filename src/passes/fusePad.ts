/**
 * Pad fusion: a spatial PAD whose only consumer is a VALID convolution or
 * depthwise convolution becomes that convolution's SAME padding, when the two
 * read exactly the same values. Keras builds every stride-2 depthwise of
 * MobileNetV2/V3 as ZeroPadding2D(correct_pad) → DepthwiseConv2D(VALID), and
 * the TFLite converter keeps the PAD; fused, the padded copy (a full-size
 * buffer and a pass over memory) disappears.
 *
 * Exactness: PAD fills with the output zero point (real 0, float 0), which
 * equals its input's zero point (validate checks it), the value a SAME
 * convolution reads outside its input. The VALID convolution of the padded
 * tensor and the SAME convolution of the unpadded one read the same input
 * pixels at every output when their output extents and leading pads agree:
 * pixel (oy·s + ky − before) of the input in both, zero point outside it.
 * Rows or columns PAD adds past what SAME reads are never read (the output
 * extents agree), so a larger trailing pad fuses too. Anything else (channel
 * or batch padding, other consumers, other padding amounts) is left alone.
 */
import type { Graph, Op } from '../model/ir.js';
import { outputExtent, paddingBefore } from '../model/geometry.js';
import { compact, producers, useCounts } from './graphUtils.js';

export function fusePad(graph: Graph): Graph {
  const uses = useCounts(graph);
  const prod = producers(graph);
  const ops: (Op | undefined)[] = [...graph.ops];
  let changed = false;
  graph.ops.forEach((op, i) => {
    if ((op.kind !== 'conv2d' && op.kind !== 'depthwise_conv2d') || op.padding !== 'valid') return;
    const padIndex = prod[op.inputs[0]!];
    if (padIndex === undefined) return;
    const pad = ops[padIndex];
    if (pad === undefined || pad.kind !== 'pad' || uses[pad.outputs[0]!] !== 1) return;
    const x = graph.tensors[pad.inputs[0]!]!;
    const f = graph.tensors[op.inputs[1]!]!;
    const p = pad.paddings;
    if (x.shape.length !== 4 || f.shape.length !== 4 || p.length !== 4) return;
    if (p[0]![0] !== 0 || p[0]![1] !== 0 || p[3]![0] !== 0 || p[3]![1] !== 0) return;
    const fits = (axis: 1 | 2, k: number, stride: number): boolean => {
      const n = x.shape[axis]!;
      const [before, after] = p[axis]!;
      const valid = outputExtent(n + before + after, k, stride, 'valid');
      const same = outputExtent(n, k, stride, 'same');
      return valid === same && before === paddingBefore(n, same, k, stride, 'same');
    };
    if (!fits(1, f.shape[1]!, op.strideH) || !fits(2, f.shape[2]!, op.strideW)) return;
    ops[i] = { ...op, padding: 'same', inputs: [pad.inputs[0]!, ...op.inputs.slice(1)] } as Op;
    ops[padIndex] = undefined;
    changed = true;
  });
  if (!changed) return graph;
  return compact({ ...graph, ops: ops.filter((o): o is Op => o !== undefined) });
}
