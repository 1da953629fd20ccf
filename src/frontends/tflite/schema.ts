/**
 * The parts of TensorFlow Lite's `schema.fbs` mobilec reads, as plain typed
 * objects (each op's options table is read in its folder, src/ops/<op>/). Field slots follow the public schema's field order (a union takes
 * two slots: `<name>_type` then the value); new fields are only ever
 * appended there, so older and newer files read the same way.
 */
import { FlatReader, type Table } from './reader.js';

export const TFLITE_IDENTIFIER = 'TFL3';

/** TensorType. */
export const TensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  STRING: 5,
  BOOL: 6,
  INT16: 7,
  COMPLEX64: 8,
  INT8: 9,
  FLOAT64: 10,
  COMPLEX128: 11,
  UINT64: 12,
  RESOURCE: 13,
  VARIANT: 14,
  UINT32: 15,
  UINT16: 16,
  INT4: 17,
} as const;

export const TENSOR_TYPE_NAMES: readonly string[] = Object.keys(TensorType);

export function tensorTypeName(t: number): string {
  return TENSOR_TYPE_NAMES[t] ?? `TYPE_${t}`;
}

/** BuiltinOperator codes 0..161 in schema order (the common, non-StableHLO set). */
export const BUILTIN_NAMES: readonly string[] = [
  'ADD',
  'AVERAGE_POOL_2D',
  'CONCATENATION',
  'CONV_2D',
  'DEPTHWISE_CONV_2D',
  'DEPTH_TO_SPACE',
  'DEQUANTIZE',
  'EMBEDDING_LOOKUP',
  'FLOOR',
  'FULLY_CONNECTED',
  'HASHTABLE_LOOKUP',
  'L2_NORMALIZATION',
  'L2_POOL_2D',
  'LOCAL_RESPONSE_NORMALIZATION',
  'LOGISTIC',
  'LSH_PROJECTION',
  'LSTM',
  'MAX_POOL_2D',
  'MUL',
  'RELU',
  'RELU_N1_TO_1',
  'RELU6',
  'RESHAPE',
  'RESIZE_BILINEAR',
  'RNN',
  'SOFTMAX',
  'SPACE_TO_DEPTH',
  'SVDF',
  'TANH',
  'CONCAT_EMBEDDINGS',
  'SKIP_GRAM',
  'CALL',
  'CUSTOM',
  'EMBEDDING_LOOKUP_SPARSE',
  'PAD',
  'UNIDIRECTIONAL_SEQUENCE_RNN',
  'GATHER',
  'BATCH_TO_SPACE_ND',
  'SPACE_TO_BATCH_ND',
  'TRANSPOSE',
  'MEAN',
  'SUB',
  'DIV',
  'SQUEEZE',
  'UNIDIRECTIONAL_SEQUENCE_LSTM',
  'STRIDED_SLICE',
  'BIDIRECTIONAL_SEQUENCE_RNN',
  'EXP',
  'TOPK_V2',
  'SPLIT',
  'LOG_SOFTMAX',
  'DELEGATE',
  'BIDIRECTIONAL_SEQUENCE_LSTM',
  'CAST',
  'PRELU',
  'MAXIMUM',
  'ARG_MAX',
  'MINIMUM',
  'LESS',
  'NEG',
  'PADV2',
  'GREATER',
  'GREATER_EQUAL',
  'LESS_EQUAL',
  'SELECT',
  'SLICE',
  'SIN',
  'TRANSPOSE_CONV',
  'SPARSE_TO_DENSE',
  'TILE',
  'EXPAND_DIMS',
  'EQUAL',
  'NOT_EQUAL',
  'LOG',
  'SUM',
  'SQRT',
  'RSQRT',
  'SHAPE',
  'POW',
  'ARG_MIN',
  'FAKE_QUANT',
  'REDUCE_PROD',
  'REDUCE_MAX',
  'PACK',
  'LOGICAL_OR',
  'ONE_HOT',
  'LOGICAL_AND',
  'LOGICAL_NOT',
  'UNPACK',
  'REDUCE_MIN',
  'FLOOR_DIV',
  'REDUCE_ANY',
  'SQUARE',
  'ZEROS_LIKE',
  'FILL',
  'FLOOR_MOD',
  'RANGE',
  'RESIZE_NEAREST_NEIGHBOR',
  'LEAKY_RELU',
  'SQUARED_DIFFERENCE',
  'MIRROR_PAD',
  'ABS',
  'SPLIT_V',
  'UNIQUE',
  'CEIL',
  'REVERSE_V2',
  'ADD_N',
  'GATHER_ND',
  'COS',
  'WHERE',
  'RANK',
  'ELU',
  'REVERSE_SEQUENCE',
  'MATRIX_DIAG',
  'QUANTIZE',
  'MATRIX_SET_DIAG',
  'ROUND',
  'HARD_SWISH',
  'IF',
  'WHILE',
  'NON_MAX_SUPPRESSION_V4',
  'NON_MAX_SUPPRESSION_V5',
  'SCATTER_ND',
  'SELECT_V2',
  'DENSIFY',
  'SEGMENT_SUM',
  'BATCH_MATMUL',
  'PLACEHOLDER_FOR_GREATER_OP_CODES',
  'CUMSUM',
  'CALL_ONCE',
  'BROADCAST_TO',
  'RFFT2D',
  'CONV_3D',
  'IMAG',
  'REAL',
  'COMPLEX_ABS',
  'HASHTABLE',
  'HASHTABLE_FIND',
  'HASHTABLE_IMPORT',
  'HASHTABLE_SIZE',
  'REDUCE_ALL',
  'CONV_3D_TRANSPOSE',
  'VAR_HANDLE',
  'READ_VARIABLE',
  'ASSIGN_VARIABLE',
  'BROADCAST_ARGS',
  'RANDOM_STANDARD_NORMAL',
  'BUCKETIZE',
  'RANDOM_UNIFORM',
  'MULTINOMIAL',
  'GELU',
  'DYNAMIC_UPDATE_SLICE',
  'RELU_0_TO_1',
  'UNSORTED_SEGMENT_PROD',
  'UNSORTED_SEGMENT_MAX',
  'UNSORTED_SEGMENT_SUM',
  'ATAN2',
  'UNSORTED_SEGMENT_MIN',
  'SIGN',
  'BITCAST',
  'BITWISE_XOR',
  'RIGHT_SHIFT',
];

/** BuiltinOperator codes the importer itself needs (each op's codes live in its folder, src/ops/<op>/). */
export const BuiltinOp = {
  CUSTOM: 32,
} as const;

export function builtinName(code: number): string {
  return BUILTIN_NAMES[code] ?? `BUILTIN_${code}`;
}

/** BuiltinOptions union: NONE (no options table); each op's member index lives in its folder. */
export const OptionsType = {
  NONE: 0,
} as const;

/** Padding enum. */
export const PaddingCode = { SAME: 0, VALID: 1 } as const;
/** ActivationFunctionType enum. */
export const ActivationCode = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 } as const;
export const ACTIVATION_NAMES: readonly string[] = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'];

export interface QuantizationParameters {
  readonly min?: number[];
  readonly max?: number[];
  readonly scale?: number[];
  readonly zeroPoint?: number[];
  readonly detailsType: number;
  readonly quantizedDimension: number;
}

export interface TensorDef {
  readonly shape: number[];
  readonly type: number;
  readonly buffer: number;
  readonly name: string;
  readonly quantization?: QuantizationParameters;
  readonly isVariable: boolean;
  readonly hasSparsity: boolean;
}

export interface OperatorCodeDef {
  /** The effective builtin code: max(deprecated_builtin_code, builtin_code). */
  readonly builtinCode: number;
  readonly customCode?: string;
  readonly version: number;
}

export interface OperatorDef {
  readonly opcodeIndex: number;
  readonly inputs: number[];
  readonly outputs: number[];
  readonly builtinOptionsType: number;
  /** The options table (read with the `*Options` readers below). */
  readonly builtinOptions?: Table;
  readonly where: string;
}

export interface SubGraphDef {
  readonly tensors: TensorDef[];
  readonly inputs: number[];
  readonly outputs: number[];
  readonly operators: OperatorDef[];
  readonly name?: string;
}

/** Where a buffer's bytes are in the file; length 0 = no data. */
export interface BufferDef {
  readonly start: number;
  readonly length: number;
}

export interface ModelDef {
  readonly version: number;
  readonly operatorCodes: OperatorCodeDef[];
  readonly subgraphs: SubGraphDef[];
  readonly description?: string;
  readonly buffers: BufferDef[];
}

function readQuantization(t: Table): QuantizationParameters {
  return {
    min: t.f32s(0, 'min'),
    max: t.f32s(1, 'max'),
    scale: t.f32s(2, 'scale'),
    zeroPoint: t.i64s(3, 'zero_point'),
    detailsType: t.u8(4, 'details_type'),
    quantizedDimension: t.i32(6, 'quantized_dimension'),
  };
}

function readTensor(t: Table): TensorDef {
  const q = t.table(4, 'quantization');
  return {
    shape: t.i32s(0, 'shape') ?? [],
    type: t.i8(1, 'type'),
    buffer: t.u32(2, 'buffer'),
    name: t.string(3, 'name') ?? '',
    quantization: q === undefined ? undefined : readQuantization(q),
    isVariable: t.bool(5, 'is_variable'),
    hasSparsity: t.has(6, 'sparsity'),
  };
}

function readOperatorCode(t: Table): OperatorCodeDef {
  const deprecated = t.i8(0, 'deprecated_builtin_code');
  const extended = t.i32(3, 'builtin_code');
  return { builtinCode: Math.max(deprecated, extended), customCode: t.string(1, 'custom_code'), version: t.i32(2, 'version', 1) };
}

function readOperator(t: Table): OperatorDef {
  return {
    opcodeIndex: t.u32(0, 'opcode_index'),
    inputs: t.i32s(1, 'inputs') ?? [],
    outputs: t.i32s(2, 'outputs') ?? [],
    builtinOptionsType: t.u8(3, 'builtin_options_type'),
    builtinOptions: t.table(4, 'builtin_options'),
    where: t.where,
  };
}

function readSubGraph(t: Table): SubGraphDef {
  const tensors = t.tables(0, 'tensors');
  const ops = t.tables(3, 'operators');
  return {
    tensors: Array.from({ length: tensors.length }, (_, i) => readTensor(tensors.at(i))),
    inputs: t.i32s(1, 'inputs') ?? [],
    outputs: t.i32s(2, 'outputs') ?? [],
    operators: Array.from({ length: ops.length }, (_, i) => readOperator(ops.at(i))),
    name: t.string(4, 'name'),
  };
}

function readBuffer(t: Table): BufferDef {
  const r = t.r;
  const data = t.byteVector(0, 'data');
  if (data !== undefined && data.length > 0) return data;
  // Buffers of models over 2 GB live outside the flatbuffer: offset/size
  // relative to the start of the file, meaningful when offset > 1.
  const offset = t.u64(1, 'offset');
  const size = t.u64(2, 'size');
  if (offset > 1) {
    if (offset + size > r.size) {
      throw r.error(`${t.where}.offset`, `external data at offset ${offset} (+${size} bytes) lies outside the file (${r.size} bytes)`);
    }
    return { start: offset, length: size };
  }
  return { start: 0, length: 0 };
}

/** Parses the model's tables (tensor data stays in the file bytes; see BufferDef). */
export function readModel(bytes: Uint8Array, file: string): ModelDef {
  const r = new FlatReader(bytes, file);
  const m = r.root(TFLITE_IDENTIFIER, 'model');
  const codes = m.tables(1, 'operator_codes');
  const subgraphs = m.tables(2, 'subgraphs');
  const buffers = m.tables(4, 'buffers');
  return {
    version: m.u32(0, 'version'),
    operatorCodes: Array.from({ length: codes.length }, (_, i) => readOperatorCode(codes.at(i))),
    // Only the main subgraph is imported; others (e.g. WHILE bodies) are not read.
    subgraphs: Array.from({ length: Math.min(subgraphs.length, 1) }, (_, i) => readSubGraph(subgraphs.at(i))),
    description: m.string(3, 'description'),
    buffers: Array.from({ length: buffers.length }, (_, i) => readBuffer(buffers.at(i))),
  };
}
