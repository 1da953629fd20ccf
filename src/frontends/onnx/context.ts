import type { Budget } from '../../model/budget.js';
import { BudgetTally } from '../../model/budget.js';
import { badInput, type MobilecError } from '../../model/errors.js';
import type { Op, Tensor } from '../../model/ir.js';
import { int64, type AttributeProto, type GraphProto, type ModelProto, type TensorProto } from './proto.js';
import { readTensor } from './tensors.js';
import { Attrs, fmt, irShape, product, type Act, type Const, type ConstQuant, type NodeRef, type QParams, type Value } from './values.js';

/**
 * The importer's state while it maps one graph, and the operand helpers every node mapper uses: a node's
 * inputs as values (initializers read on first use), its attributes, its output defined, IR ops pushed.
 * The node mappers (spatial.ts, elementwise.ts, dense.ts, shapes.ts, qdq.ts) are functions of a Ctx and a node;
 * import.ts dispatches to them and builds the graph.
 */
export class Ctx {
  readonly g: GraphProto;
  readonly tally: BudgetTally;
  readonly opset: number;
  readonly initializers = new Map<string, TensorProto>();
  readonly values = new Map<string, Value>();
  readonly tensors: Tensor[] = [];
  readonly ops: Op[] = [];
  /** IR tensor id → the kind of the IR op computing it. */
  readonly producer = new Map<number, string>();
  /** ONNX value name → number of readers (nodes and graph outputs). */
  readonly uses = new Map<string, number>();
  /** Nodes already mapped as part of an earlier node (MatMul's Add). */
  readonly absorbed = new Set<number>();
  /** IR tensors that are an NCHW value flattened in NHWC order ([C, H, W] of the value): only a Gemm / MatMul reads them. */
  readonly flattenedNchw = new Map<number, [number, number, number]>();
  /** Each BatchNormalization and the IR tensor it reads (its conv's output, which nothing else may read). */
  readonly batchNorms: { r: NodeRef; x: number }[] = [];
  /** QDQ: IR activation tensors quantized by a QuantizeLinear (or a view / activation of one), lowered at the end. */
  readonly actQuant = new Map<number, QParams>();
  /** QDQ: each DequantizeLinear output that is a constant, by name; `constQuant` the IR constants made from them. */
  readonly dqConsts = new Map<string, ConstQuant>();
  readonly constQuant = new Map<number, ConstQuant>();

  /** Maps one node (set by import.ts: the dispatch, for a node mapped ahead of its turn). */
  convert: (r: NodeRef) => void = () => {};

  constructor(
    model: ModelProto,
    readonly file: string,
    readonly dir: string,
    readonly name: string,
    budget: Budget,
  ) {
    this.tally = new BudgetTally(budget, `${file}: `);
    if (!model.graph) throw this.err('the model has no graph');
    this.g = model.graph;
    const ops = model.opsetImport.filter((o) => o.domain === '' || o.domain === 'ai.onnx');
    this.opset = ops.length > 0 ? int64(ops[0]!.version) : 1;
  }

  err(msg: string): MobilecError {
    return badInput(`${this.file}: ${msg}`);
  }

  nodeErr(r: NodeRef, msg: string): MobilecError {
    return this.err(`node ${r.index} '${r.node.name}' (${r.node.opType}): ${msg}`);
  }

  // ---- tensors ---------------------------------------------------------------------------------

  newAct(name: string, shape: readonly number[]): Act {
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 1)) throw this.err(`value '${name}' would have shape ${fmt(shape)}`);
    const id = this.tensors.length;
    this.tally.tensor(`'${name}' ${fmt(shape)} float32`, product(shape), 4, false);
    this.tensors.push({ id, name: name || `t${id}`, shape: irShape(shape), dtype: 'float32' });
    return { kind: 'act', id, shape };
  }

  /** A float32 constant already in the IR's layout. */
  newConst(name: string, shape: readonly number[], data: Float32Array): number {
    const id = this.tensors.length;
    this.tensors.push({ id, name, shape: [...shape], dtype: 'float32', data });
    const cq = this.dqConsts.get(name);
    if (cq) this.constQuant.set(id, cq);
    return id;
  }

  // ---- operands --------------------------------------------------------------------------------

  value(r: NodeRef, k: number): Value {
    const name = r.node.input[k];
    if (name === undefined || name === '') throw this.nodeErr(r, `input ${k} is missing`);
    const have = this.values.get(name);
    if (have) return have;
    const init = this.initializers.get(name);
    if (init) {
      const c = readTensor(this, init, `initializer '${name}'`);
      this.values.set(name, c);
      return c;
    }
    throw this.nodeErr(r, `input ${k} ('${name}') is not computed before this node (nodes out of order, or a cycle)`);
  }

  has(r: NodeRef, k: number): boolean {
    return (r.node.input[k] ?? '') !== '';
  }

  act(r: NodeRef, k: number, rank?: number): Act {
    const v = this.value(r, k);
    if (v.kind !== 'act') throw this.nodeErr(r, `input ${k} ('${v.name}') is a constant; supported: a computed tensor`);
    if (rank !== undefined && v.shape.length !== rank) throw this.nodeErr(r, `input ${k} has shape ${fmt(v.shape)}; supported: rank ${rank}`);
    return v;
  }

  floats(r: NodeRef, k: number, what: string): Const & { floats: Float32Array } {
    const v = this.value(r, k);
    if (v.kind !== 'const' || v.floats === undefined) throw this.nodeErr(r, `${what} (input ${k}) must be a FLOAT constant`);
    return v as Const & { floats: Float32Array };
  }

  ints(r: NodeRef, k: number, what: string): Const & { ints: readonly number[] } {
    const v = this.value(r, k);
    if (v.kind !== 'const' || v.ints === undefined) throw this.nodeErr(r, `${what} (input ${k}) must be an INT64 constant computed at import`);
    return v as Const & { ints: readonly number[] };
  }

  scalar(r: NodeRef, k: number, what: string): number {
    const c = this.floats(r, k, what);
    if (c.floats.length !== 1) throw this.nodeErr(r, `${what} must be a scalar, has shape ${fmt(c.shape)}`);
    return c.floats[0]!;
  }

  attrs(r: NodeRef, allowed: readonly string[]): Attrs {
    const map = new Map<string, AttributeProto>();
    for (const a of r.node.attribute) {
      if (a.refAttrName) throw this.nodeErr(r, `attribute ${a.name} refers to a function attribute`);
      if (!allowed.includes(a.name)) throw this.nodeErr(r, `attribute ${a.name} is not supported; supported: ${allowed.join(', ') || 'none'}`);
      map.set(a.name, a);
    }
    return new Attrs(map, (msg) => {
      throw this.nodeErr(r, msg);
    });
  }

  define(r: NodeRef, v: Value, k = 0): void {
    const name = r.node.output[k];
    if (name === undefined || name === '') throw this.nodeErr(r, `output ${k} is missing`);
    if (this.values.has(name) || this.initializers.has(name)) throw this.nodeErr(r, `output '${name}' is already defined (a duplicate write)`);
    this.values.set(name, v);
  }

  /** The node's one output: extra outputs (BN's statistics, Dropout's mask, MaxPool's indices) must be absent or unread. */
  out(r: NodeRef, shape: readonly number[]): Act {
    r.node.output.slice(1).forEach((o, k) => {
      if (o !== '' && (this.uses.get(o) ?? 0) > 0) throw this.nodeErr(r, `output ${k + 1} ('${o}') is read; only output 0 is supported`);
    });
    const name = r.node.output[0] ?? '';
    const a = this.newAct(name, shape);
    this.define(r, a);
    return a;
  }

  push(op: Op): void {
    this.ops.push(op);
    this.producer.set(op.outputs[0]!, op.kind);
  }

  opName(r: NodeRef, suffix = ''): string {
    return `${r.index}_${r.node.opType}${suffix}`;
  }
}
