/**
 * JSON Schema (draft-07) of a mobilec model description. Two forms, told
 * apart by `architecture`: MobileNetV1 by its hyper-parameters, or an
 * explicit layer list. `test/frontends/schema.test.ts` writes this object to
 * `examples/models/description.schema.json` so the docs can link it.
 *
 * The layer forms (one JSON Schema branch per layer `op`) come from the op
 * registry (src/ops/<op>/index.ts, `description`).
 *
 * Constraints that span fields (mutually exclusive `weights` forms, shapes
 * that do not fit) are checked here where JSON Schema can say them and in
 * `build.ts` otherwise.
 */

import { descriptionForms } from '../../ops/registry.js';
import type { DescriptionForm } from '../../ops/types.js';

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
const input = {
  description: 'Name of an earlier layer whose output this layer reads ("input": the model input). Default: the previous layer.',
  type: 'string',
  pattern: '^[A-Za-z0-9_./-]+$',
};
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

/** A tf.keras.applications network by its hyper-parameters (the V1 fields but the depthwise multiplier). */
function kerasNet(architecture: string, description: string) {
  const { depthwiseMultiplier: _dm, ...properties } = mobilenetV1.properties;
  return {
    description,
    type: 'object',
    additionalProperties: false,
    required: mobilenetV1.required,
    properties: {
      ...properties,
      architecture: { const: architecture },
      alpha: { ...mobilenetV1.properties.alpha, description: 'Width multiplier (Keras alpha): channels = make_divisible(c * alpha, 8).' },
      includeTop: { description: 'Append the Keras classifier head (default true).', type: 'boolean' },
    },
  };
}

const mobilenetV2 = kerasNet('mobilenet_v2', 'tf.keras.applications.MobileNetV2 by its hyper-parameters, layer for layer.');
const mobilenetV3Small = kerasNet(
  'mobilenet_v3_small',
  'tf.keras.applications.MobileNetV3Small (minimalistic=False, include_preprocessing=False) by its hyper-parameters, layer for layer.',
);
const mobilenetV3Large = kerasNet(
  'mobilenet_v3_large',
  'tf.keras.applications.MobileNetV3Large (minimalistic=False, include_preprocessing=False) by its hyper-parameters, layer for layer.',
);

/** Property schemas the layer forms share by name (see DescriptionForm.properties). */
const shared: Readonly<Record<string, Record<string, unknown>>> = { kernel, stride, padding, activation, batchNorm, bias };

function property(p: DescriptionForm['properties'][string]): unknown {
  if (typeof p === 'string') return shared[p];
  if (Array.isArray(p)) return { ...shared[p[0] as string], ...(p[1] as Record<string, unknown>) };
  return p;
}

/** The JSON Schema branch of one layer form of the registry. */
function layer(f: DescriptionForm): Record<string, unknown> {
  const properties = Object.fromEntries(Object.entries(f.properties).map(([k, p]) => [k, property(p)]));
  return {
    description: f.description,
    type: 'object',
    additionalProperties: false,
    required: ['op', ...f.required],
    properties: { op: { const: f.op }, name, input, ...properties },
  };
}

const layerSchemas = descriptionForms().map(layer);

/** The layer list's `op` values, in registry order. */
export const LAYER_OPS: readonly string[] = descriptionForms().map((f) => f.op);

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
  oneOf: [mobilenetV1, mobilenetV2, mobilenetV3Small, mobilenetV3Large, layers],
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

/** A tf.keras.applications network by its hyper-parameters. */
export interface KerasDesc extends CommonDesc {
  architecture: 'mobilenet_v2' | 'mobilenet_v3_small' | 'mobilenet_v3_large';
  resolution: number;
  channels?: number;
  alpha: number;
  classes: number;
  includeTop?: boolean;
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

/** One layer: its form's `op` and that form's fields (checked by the schema; defaults applied by the form's build). */
export interface LayerDesc {
  op: string;
  name?: string;
  input?: string;
  [field: string]: unknown;
}

export interface LayersDesc extends CommonDesc {
  architecture: 'layers';
  input: { height: number; width: number; channels: number };
  layers: LayerDesc[];
}

export type Description = MobileNetV1Desc | KerasDesc | LayersDesc;
