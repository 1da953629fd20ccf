/**
 * The typed Node binding of a built model, written with ts-morph: shapes and
 * quantization as constants, and `invoke` typed to the model's own dtypes,
 * checking its input's type and length at run time. One generator serves
 * both places a binding lives: the build cache, where verify and run call
 * the C through it (`<name>.ts`, compiled to `.js` + `.d.ts`), and the npm
 * package of `compile --binding` (index.js, index.cjs, index.d.ts), which
 * finds its addon and library beside itself and so can be moved or copied.
 */
import { Project, VariableDeclarationKind, type SourceFile } from 'ts-morph';
import type { DType } from '../model/ir.js';

export interface TensorSignature {
  readonly shape: readonly number[];
  /** Set for a model whose file is NCHW (ONNX): the shape and the data are NCHW; else a 4-D tensor is NHWC. */
  readonly layout?: 'NCHW';
  readonly dtype: DType;
  readonly scale: number;
  readonly zeroPoint: number;
}

export interface ModelSignature {
  readonly name: string;
  readonly input: TensorSignature;
  readonly output: TensorSignature;
  readonly layerCount: number;
  readonly arenaBytes: number;
}

const ARRAY_OF: Readonly<Record<DType, string>> = {
  float32: 'Float32Array',
  int8: 'Int8Array',
  uint8: 'Uint8Array',
  int32: 'Int32Array',
};

/**
 * Where the binding finds a file: `beside` it (a file name in the binding's
 * own directory, found through `import.meta.url` / `__dirname` at run time,
 * so the directory can move), or at an `absolute` path.
 */
export type BindingLocation = { readonly beside: string } | { readonly absolute: string };

export interface BindingOptions {
  /** The addon (mobilec_native.node). */
  readonly addon: BindingLocation;
  /** The model's shared library (built from the generated C and its ABI file). */
  readonly library: BindingLocation;
  /** The library was built with MOBILEC_LAYER_HOOKS: export `invokeLayers`. */
  readonly layerHooks: boolean;
  /** Also emit a CommonJS module (`cjs`); its declarations are `dts`. */
  readonly commonjs?: boolean;
  /**
   * `${process.platform}-${process.arch}` the library was built for: loading
   * the binding elsewhere throws one line saying so instead of a loader error.
   */
  readonly builtFor?: string;
}

export interface BindingFiles {
  /** The TypeScript source (ES module), for readers. */
  readonly ts: string;
  /** The ES module. */
  readonly js: string;
  /** Its declarations (they describe the CommonJS module too). */
  readonly dts: string;
  /** The CommonJS module, with `commonjs`; else ''. */
  readonly cjs: string;
}

/** The typed array that holds a tensor of `dtype`: `Int8Array` for int8. */
export function typedArrayName(dtype: DType): string {
  return ARRAY_OF[dtype];
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function article(word: string): string {
  return /^[AEIOaeio]/.test(word) ? 'an' : 'a';
}

/** What `invoke` and `bench` accept, as their errors name it: `an Int8Array of 9216 elements (int8 [1,96,96,1])`. */
export function expectedInput(t: TensorSignature): string {
  const arr = ARRAY_OF[t.dtype];
  return `${article(arr)} ${arr} of ${elementCount(t.shape)} elements (${t.dtype} [${t.shape.join(',')}])`;
}

function exportConst(file: SourceFile, name: string, type: string, initializer: string, doc: string): void {
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [doc],
    declarations: [{ name, type, initializer }],
  });
}

function addTensorConstants(file: SourceFile, prefix: 'INPUT' | 'OUTPUT', t: TensorSignature): void {
  const what = prefix.toLowerCase();
  const quantized = t.dtype !== 'float32';
  const layout = t.layout === 'NCHW' ? ' (NCHW)' : prefix === 'INPUT' && t.shape.length === 4 ? ' (NHWC)' : '';
  exportConst(
    file,
    `${prefix}_SHAPE`,
    'readonly number[]',
    `Object.freeze([${t.shape.join(', ')}])`,
    `The ${what} tensor's shape${layout}, outermost first; its elements are row-major.`,
  );
  exportConst(file, `${prefix}_ELEMENTS`, 'number', String(elementCount(t.shape)), `Elements of the ${what} tensor: the product of ${prefix}_SHAPE.`);
  exportConst(
    file,
    `${prefix}_DTYPE`,
    `'${t.dtype}'`,
    `'${t.dtype}'`,
    `The ${what} tensor's element type (held in ${article(ARRAY_OF[t.dtype])} ${ARRAY_OF[t.dtype]}).`,
  );
  const quantDoc = quantized ? `real value = ${prefix}_SCALE * (q - ${prefix}_ZERO_POINT)` : `1 for a float32 tensor (not quantized)`;
  exportConst(file, `${prefix}_SCALE`, 'number', String(t.scale), `Quantization scale of the ${what}: ${quantDoc}.`);
  exportConst(
    file,
    `${prefix}_ZERO_POINT`,
    'number',
    String(t.zeroPoint),
    `Quantization zero point of the ${what}${quantized ? '' : ' (0 for a float32 tensor)'}.`,
  );
}

/** How the module loads the addon, per module format. */
function prelude(format: 'esm' | 'cjs'): string[] {
  return format === 'esm'
    ? [
        `import { createRequire } from 'node:module';`,
        `import { fileURLToPath } from 'node:url';`,
        `const require = createRequire(import.meta.url);`,
        `/** A file in this module's directory, wherever it was installed, moved or copied to. */`,
        `const beside = (file: string): string => fileURLToPath(new URL(file, import.meta.url));`,
      ]
    : [
        `import { join } from 'node:path';`,
        `/** A file in this module's directory, wherever it was installed, moved or copied to. */`,
        `const beside = (file: string): string => join(__dirname, file);`,
      ];
}

function locate(loc: BindingLocation): string {
  return 'beside' in loc ? `beside(${JSON.stringify(`./${loc.beside}`)})` : JSON.stringify(loc.absolute);
}

function bindingSource(file: SourceFile, sig: ModelSignature, opts: BindingOptions, format: 'esm' | 'cjs'): void {
  const inArr = ARRAY_OF[sig.input.dtype];
  const outArr = ARRAY_OF[sig.output.dtype];
  file.addStatements([`// Generated by mobilec for model "${sig.name}". Do not edit.`, ...prelude(format)]);
  exportConst(file, 'MODEL_NAME', 'string', JSON.stringify(sig.name), "The model's C name (`mobilec_<name>_invoke`).");
  addTensorConstants(file, 'INPUT', sig.input);
  addTensorConstants(file, 'OUTPUT', sig.output);
  exportConst(file, 'LAYER_COUNT', 'number', String(sig.layerCount), 'Layers (ops) of the compiled graph.');
  exportConst(file, 'ARENA_BYTES', 'number', String(sig.arenaBytes), 'Bytes of the static activation arena (input and output live in it).');
  file.addInterface({
    name: 'NativeModel',
    properties: [],
    methods: [
      { name: 'invoke', parameters: [{ name: 'input', type: 'ArrayBufferView' }], returnType: 'Uint8Array' },
      { name: 'invokeLayers', parameters: [{ name: 'input', type: 'ArrayBufferView' }], returnType: 'Uint8Array[]' },
      {
        name: 'bench',
        parameters: [
          { name: 'input', type: 'ArrayBufferView' },
          { name: 'repeat', type: 'number' },
        ],
        returnType: 'Float64Array',
      },
    ],
  });
  if (opts.builtFor !== undefined) {
    file.addStatements([
      `if (\`\${process.platform}-\${process.arch}\` !== ${JSON.stringify(opts.builtFor)}) {`,
      `  throw new Error(\`${sig.name}: this binding was built for ${opts.builtFor} and cannot load on \${process.platform}-\${process.arch}; compile the model with mobilec compile --binding on this machine\`);`,
      `}`,
    ]);
  }
  file.addStatements([
    `const addon = require(${locate(opts.addon)}) as { Model: new (path: string) => NativeModel };`,
    `const model = new addon.Model(${locate(opts.library)});`,
    `const EXPECTED_INPUT = ${JSON.stringify(expectedInput(sig.input))};`,
  ]);
  file.addFunction({
    name: 'described',
    docs: ['What a value is, for error messages: "a Uint8Array of 9216", "an Array of 3", "undefined".'],
    parameters: [{ name: 'value', type: 'unknown' }],
    returnType: 'string',
    statements: [
      `const article = (w: string): string => (/^[AEIOaeio]/.test(w) ? 'an' : 'a');`,
      `if (value === undefined || value === null) return String(value);`,
      `if (ArrayBuffer.isView(value)) {`,
      `  const kind = Object.prototype.toString.call(value).slice(8, -1);`,
      `  const length = (value as { length?: unknown }).length;`,
      `  return \`\${article(kind)} \${kind} of \${typeof length === 'number' ? length : \`\${value.byteLength} bytes\`}\`;`,
      `}`,
      `if (Array.isArray(value)) return \`an Array of \${value.length}\`;`,
      `if (value instanceof ArrayBuffer) return \`an ArrayBuffer of \${value.byteLength} bytes\`;`,
      `return \`\${article(typeof value)} \${typeof value}\`;`,
    ],
  });
  file.addFunction({
    name: 'checkedInput',
    docs: [`The input if it is ${expectedInput(sig.input)}; else a one-line TypeError (wrong type) or RangeError (wrong length).`],
    parameters: [
      { name: 'fn', type: 'string' },
      { name: 'input', type: 'unknown' },
    ],
    returnType: inArr,
    statements: [
      `if (Object.prototype.toString.call(input) !== '[object ${inArr}]') {`,
      `  throw new TypeError(\`\${fn}: expected \${EXPECTED_INPUT}, got \${described(input)}\`);`,
      `}`,
      `if ((input as ${inArr}).length !== INPUT_ELEMENTS) {`,
      `  throw new RangeError(\`\${fn}: expected \${EXPECTED_INPUT}, got \${described(input)}\`);`,
      `}`,
      `return input as ${inArr};`,
    ],
  });
  file.addFunction({
    isExported: true,
    name: 'invoke',
    docs: [
      `Runs one inference of the generated C on ${expectedInput(sig.input)} and returns a copy of the output tensor ` +
        `(${ARRAY_OF[sig.output.dtype]} of OUTPUT_ELEMENTS). Throws a TypeError or RangeError naming the expected input otherwise.`,
    ],
    parameters: [{ name: 'input', type: inArr }],
    returnType: outArr,
    statements: [
      `const out = model.invoke(checkedInput('invoke', input));`,
      `return new ${outArr}(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));`,
    ],
  });
  if (opts.layerHooks) {
    file.addFunction({
      isExported: true,
      name: 'invokeLayers',
      docs: ["Runs one inference with the layer hook on and returns every layer's output bytes, in op order."],
      parameters: [{ name: 'input', type: inArr }],
      returnType: 'Uint8Array[]',
      statements: [`return model.invokeLayers(checkedInput('invokeLayers', input));`],
    });
  }
  file.addFunction({
    isExported: true,
    name: 'bench',
    docs: ['Times `repeat` inferences of `input`; milliseconds per inference, one per run.'],
    parameters: [
      { name: 'input', type: inArr },
      { name: 'repeat', type: 'number' },
    ],
    returnType: 'Float64Array',
    statements: [
      `if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError(\`bench: repeat must be a positive integer, got \${String(repeat)}\`);`,
      `return model.bench(checkedInput('bench', input), repeat);`,
    ],
  });
}

function emit(sig: ModelSignature, opts: BindingOptions, format: 'esm' | 'cjs'): { ts: string; js: string; dts: string } {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      target: 9 /* ES2022 */,
      module: format === 'esm' ? 7 /* ES2022 */ : 1 /* CommonJS */,
      declaration: true,
      strict: true,
      skipLibCheck: true,
      noLib: false,
    },
  });
  const file = project.createSourceFile(`${sig.name}.ts`, '', { overwrite: true });
  bindingSource(file, sig, opts, format);
  let js = '';
  let dts = '';
  for (const f of project.emitToMemory({ targetSourceFile: file }).getFiles()) {
    if (f.filePath.endsWith('.d.ts')) dts = f.text;
    else if (f.filePath.endsWith('.js')) js = f.text;
  }
  return { ts: file.getFullText(), js, dts };
}

export function generateBinding(sig: ModelSignature, opts: BindingOptions): BindingFiles {
  const esm = emit(sig, opts, 'esm');
  return { ...esm, cjs: opts.commonjs ? emit(sig, opts, 'cjs').js : '' };
}
