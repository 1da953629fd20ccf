/**
 * JSON Schema (draft-07) of a mobilec model description. Two forms, told
 * apart by `architecture`: MobileNetV1 by its hyper-parameters, or an
 * explicit layer list. `test/frontends/schema.test.ts` writes this object to
 * `examples/models/description.schema.json` so the docs can link it.
 *
 * Constraints that span fields (mutually exclusive `weights` forms, shapes
 * that do not fit) are checked here where JSON Schema can say them and in
 * `build.ts` otherwise.
 */

const activation = {
  description: 'Activation fused after the layer (after batch norm, when present).',
  enum: ['none', 'relu', 'relu6'],
};
const padding = {
  description: 'TensorFlow padding: "same" keeps ceil(in / stride) outputs, "valid" uses only full windows.',
  enum: ['same', 'valid'],
};
const stride = { description: 'Spatial stride (both dimensions).', enum: [1, 2] };
const kernel = { description: 'Square kernel size K (K×K window).', type: 'integer', minimum: 1 };
const name = { description: 'Layer name (used for op and tensor names; default derived from the index).', type: 'string', pattern: '^[A-Za-z0-9_./-]+$' };
const batchNorm = {
  description: 'Follow the layer with inference batch norm (gamma, beta, mean, variance; epsilon 1e-3). Default true.',
  type: 'boolean',
};
const bias = {
  description: 'Give the layer its own bias. Default: false when batchNorm is on (its beta is the bias), true otherwise.',
  type: 'boolean',
};

const weights = {
  description:
    'Where the parameters come from: {"seed": n} draws them deterministically (He-normal weights, batch-norm statistics near identity); ' +
    '{"file": "w.bin"} reads raw little-endian float32 values, relative to the description, all parameters concatenated in layer order ' +
    '(per conv-like layer: filter in IR layout, bias if any, then batch-norm gamma, beta, mean, variance; see docs/description-format.md).',
  type: 'object',
  additionalProperties: false,
  properties: {
    seed: { description: 'PRNG seed (uint32).', type: 'integer', minimum: 0, maximum: 4294967295 },
    file: { description: 'Weights file, relative to the description.', type: 'string', minLength: 1 },
  },
  oneOf: [{ required: ['seed'] }, { required: ['file'] }],
};

const calibration = {
  description:
    'Post-training-quantization inputs (dtype int8 only). {"seed": n, "count": k} draws k inputs uniform in [-1, 1]; ' +
    '{"files": [...]} reads raw little-endian float32 NHWC tensors of the input size, relative to the description. Default {"seed": 0, "count": 4}.',
  type: 'object',
  additionalProperties: false,
  properties: {
    seed: { description: 'PRNG seed (uint32).', type: 'integer', minimum: 0, maximum: 4294967295 },
    count: { description: 'Number of seeded inputs (default 4).', type: 'integer', minimum: 1, maximum: 1000 },
    files: {
      description: 'Calibration tensors, raw float32 NHWC, relative to the description.',
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
    },
  },
  oneOf: [{ required: ['seed'] }, { required: ['files'] }],
};

const dtype = {
  description: '"float32": a float model. "int8": fully quantized by post-training quantization (int8 input and output).',
  enum: ['float32', 'int8'],
};

const common = {
  $schema: { description: 'Optional link to this schema.', type: 'string' },
  name: { description: 'Free-form model name for humans (the C name comes from the file name or --name).', type: 'string' },
  dtype,
  weights,
  calibration,
};

const mobilenetV1 = {
  description: 'TF-slim MobileNetV1 by its hyper-parameters.',
  type: 'object',
  additionalProperties: false,
  required: ['architecture', 'resolution', 'alpha', 'classes', 'dtype', 'weights'],
  properties: {
    ...common,
    architecture: { const: 'mobilenet_v1' },
    resolution: { description: 'Input height = width.', type: 'integer', minimum: 32, maximum: 4096 },
    channels: { description: 'Input channels (default 3).', type: 'integer', minimum: 1, maximum: 4 },
    alpha: {
      description: 'Width multiplier (TF-slim depth_multiplier): channels = max(8, floor(c * alpha)).',
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 4,
    },
    depthwiseMultiplier: {
      description: 'Depthwise output channels per input channel, for every depthwise layer (default 1).',
      type: 'integer',
      minimum: 1,
      maximum: 8,
    },
    classes: { description: 'Number of output classes.', type: 'integer', minimum: 1, maximum: 100000 },
    includeTop: {
      description: 'Append global average pool, 1x1 conv to classes (with bias), reshape to [1, classes] and softmax (default true).',
      type: 'boolean',
    },
  },
};

function layer(op: string, description: string, required: string[], properties: Record<string, unknown>): Record<string, unknown> {
  return {
    description,
    type: 'object',
    additionalProperties: false,
    required: ['op', ...required],
    properties: { op: { const: op }, name, ...properties },
  };
}

const poolSize = {
  description: 'Square window size, or "global" for the whole input (VALID, one output pixel).',
  oneOf: [{ type: 'integer', minimum: 1 }, { const: 'global' }],
};

const layerSchemas = [
  layer('conv', 'Standard convolution.', ['filters', 'kernel'], {
    filters: { description: 'Output channels.', type: 'integer', minimum: 1 },
    kernel,
    stride,
    padding,
    activation,
    batchNorm,
    bias,
  }),
  layer('depthwise', 'Depthwise convolution.', ['kernel'], {
    kernel,
    stride,
    padding,
    depthMultiplier: { description: 'Output channels per input channel (default 1).', type: 'integer', minimum: 1 },
    activation,
    batchNorm,
    bias,
  }),
  layer('pointwise', '1x1 convolution, stride 1.', ['filters'], {
    filters: { description: 'Output channels.', type: 'integer', minimum: 1 },
    activation,
    batchNorm,
    bias,
  }),
  layer('avgpool', 'Average pooling.', ['size'], {
    size: poolSize,
    stride: { description: 'Stride (default: the window size, 1 for "global").', type: 'integer', minimum: 1 },
    padding: { ...padding, description: 'Padding (default "valid").' },
    activation,
  }),
  layer('maxpool', 'Max pooling.', ['size'], {
    size: poolSize,
    stride: { description: 'Stride (default: the window size, 1 for "global").', type: 'integer', minimum: 1 },
    padding: { ...padding, description: 'Padding (default "valid").' },
    activation,
  }),
  layer('fc', 'Fully connected layer; its input is flattened. Output shape [1, units].', ['units'], {
    units: { description: 'Output units.', type: 'integer', minimum: 1 },
    activation,
    bias: { description: 'Give the layer a bias (default true).', type: 'boolean' },
  }),
  layer('softmax', 'Softmax over the last axis.', [], {
    beta: { description: 'exp(beta * x) (default 1).', type: 'number', exclusiveMinimum: 0 },
  }),
  layer('reshape', 'Reshape (same element count).', ['shape'], {
    shape: { description: 'New shape, e.g. [1, 10].', type: 'array', minItems: 1, maxItems: 4, items: { type: 'integer', minimum: 1 } },
  }),
];

export const LAYER_OPS = ['conv', 'depthwise', 'pointwise', 'avgpool', 'maxpool', 'fc', 'softmax', 'reshape'] as const;

const layers = {
  description: 'An explicit list of layers, applied in order to one NHWC input.',
  type: 'object',
  additionalProperties: false,
  required: ['architecture', 'input', 'dtype', 'weights', 'layers'],
  properties: {
    ...common,
    architecture: { const: 'layers' },
    input: {
      description: 'Input tensor [1, height, width, channels].',
      type: 'object',
      additionalProperties: false,
      required: ['height', 'width', 'channels'],
      properties: {
        height: { type: 'integer', minimum: 1, maximum: 4096 },
        width: { type: 'integer', minimum: 1, maximum: 4096 },
        channels: { type: 'integer', minimum: 1, maximum: 4096 },
      },
    },
    layers: {
      description: 'The layers, in order.',
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        discriminator: { propertyName: 'op' },
        required: ['op'],
        oneOf: layerSchemas,
      },
    },
  },
};

export const descriptionSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://mobilec.dev/schemas/description.schema.json',
  title: 'mobilec model description',
  description: 'A MobileNet model for mobilec: MobileNetV1 by hyper-parameters, or an explicit layer list. Unknown fields are errors.',
  type: 'object',
  discriminator: { propertyName: 'architecture' },
  required: ['architecture'],
  oneOf: [mobilenetV1, layers],
} as const;

/* ---- the description after validation, with defaults applied by build.ts ---- */

export type DescActivation = 'none' | 'relu' | 'relu6';
export type WeightsSpec = { seed: number; file?: undefined } | { file: string; seed?: undefined };
export type CalibrationSpec = { seed?: number; count?: number; files?: string[] };

interface CommonDesc {
  $schema?: string;
  name?: string;
  dtype: 'float32' | 'int8';
  weights: WeightsSpec;
  calibration?: CalibrationSpec;
}

export interface MobileNetV1Desc extends CommonDesc {
  architecture: 'mobilenet_v1';
  resolution: number;
  channels?: number;
  alpha: number;
  depthwiseMultiplier?: number;
  classes: number;
  includeTop?: boolean;
}

export type LayerDesc =
  | { op: 'conv'; name?: string; filters: number; kernel: number; stride?: 1 | 2; padding?: 'same' | 'valid'; activation?: DescActivation; batchNorm?: boolean; bias?: boolean }
  | { op: 'depthwise'; name?: string; kernel: number; stride?: 1 | 2; padding?: 'same' | 'valid'; depthMultiplier?: number; activation?: DescActivation; batchNorm?: boolean; bias?: boolean }
  | { op: 'pointwise'; name?: string; filters: number; activation?: DescActivation; batchNorm?: boolean; bias?: boolean }
  | { op: 'avgpool' | 'maxpool'; name?: string; size: number | 'global'; stride?: number; padding?: 'same' | 'valid'; activation?: DescActivation }
  | { op: 'fc'; name?: string; units: number; activation?: DescActivation; bias?: boolean }
  | { op: 'softmax'; name?: string; beta?: number }
  | { op: 'reshape'; name?: string; shape: number[] };

export interface LayersDesc extends CommonDesc {
  architecture: 'layers';
  input: { height: number; width: number; channels: number };
  layers: LayerDesc[];
}

export type Description = MobileNetV1Desc | LayersDesc;
