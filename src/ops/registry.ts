/**
 * The op registry: one line per op. Adding an op = one folder under
 * src/ops/<op>/ exporting its OpDef, plus one line here (see
 * docs/ARCHITECTURE.md, "Ops: the registry, how to add an op"). The IR's
 * `Op` union, the TFLite builtins the importer accepts and the description's
 * layer forms all follow from this list (its order is the order error
 * messages list them in).
 */
import { internalError } from '../model/errors.js';
import type { AnyOp, DescriptionForm, OpDef, TfliteBuiltin } from './types.js';
import { conv2d } from './conv2d/index.js';
import { depthwiseConv2d } from './depthwise_conv2d/index.js';
import { pool2d } from './pool2d/index.js';
import { fullyConnected } from './fully_connected/index.js';
import { softmax } from './softmax/index.js';
import { reshape } from './reshape/index.js';
import { pad } from './pad/index.js';
import { quantize } from './quantize/index.js';
import { dequantize } from './dequantize/index.js';
import { add } from './add/index.js';
import { batchNorm } from './batch_norm/index.js';
import { activation } from './activation/index.js';
import { mean } from './mean/index.js';
import { hardSwish } from './hard_swish/index.js';
import { logistic } from './logistic/index.js';

/** Built on first use: op folders import stages (geometry, codegen helpers) that import this file. */
const list = () =>
  [
    conv2d,
    depthwiseConv2d,
    pool2d,
    fullyConnected,
    softmax,
    reshape,
    pad,
    quantize,
    dequantize,
    add,
    batchNorm,
    activation,
    mean,
    hardSwish,
    logistic,
  ] as const;

type OpOf<D> = D extends OpDef<infer O> ? O : never;

/** Every IR op (re-exported by model/ir.ts). */
export type Op = OpOf<ReturnType<typeof list>[number]>;
export type OpKind = Op['kind'];

let defs: readonly OpDef<AnyOp>[] | undefined;
let byKind: Map<string, OpDef<AnyOp>> | undefined;

/** Every op definition, in registry order. */
export function opDefs(): readonly OpDef<AnyOp>[] {
  defs ??= list();
  return defs;
}

/** The definition of an op's kind. */
export function opDef<O extends AnyOp>(op: O): OpDef<O> {
  byKind ??= new Map(opDefs().flatMap((d) => d.kinds.map((k) => [k, d] as const)));
  const def = byKind.get(op.kind);
  if (def === undefined) throw internalError(`op ${op.name}: unknown kind ${op.kind}`);
  return def as OpDef<O>;
}

/** Builtin code → the op definition that imports it and its builtin entry, in registry order. */
export function tfliteBuiltins(): ReadonlyMap<number, { readonly def: OpDef<AnyOp>; readonly builtin: TfliteBuiltin }> {
  return new Map(opDefs().flatMap((def) => (def.tflite?.builtins ?? []).map((builtin) => [builtin.code, { def, builtin }] as const)));
}

/** The description's layer forms (`op` of a layer), in registry order. */
export function descriptionForms(): readonly DescriptionForm[] {
  return opDefs().flatMap((d) => d.description ?? []);
}
