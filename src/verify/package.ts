/**
 * `compile --binding <dir>`: the model as a self-contained npm package for
 * this machine's OS and architecture. It holds the addon, the model's
 * shared library (the generated C at -O3, as `run` builds it), the typed
 * binding as ES and CommonJS modules with one set of declarations, a
 * package.json and a README. The binding finds the addon and the library
 * beside itself at run time, so no file names a path on the machine that
 * built it: the package keeps working when it is installed, moved or
 * copied, and when the mobilec checkout and its build cache are gone.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import type { GeneratedProject } from '../codegen/index.js';
import { render } from '../codegen/templates.js';
import type { Graph } from '../model/ir.js';
import { MOBILEC_VERSION } from '../util/version.js';
import { expectedInput, generateBinding, typedArrayName } from './binding.js';
import { buildVerificationLibrary } from './build.js';
import { ADDON_PATH } from './native.js';
import { modelSignature } from './signature.js';

/** The addon's file name inside the package. */
const ADDON_FILE = 'mobilec_native.node';

/** The package's own version: a generated package starts its own history. */
const PACKAGE_VERSION = '1.0.0';

/** The Node-API version the addon is built against (native/package.json). */
const NODE_API_VERSION = 8;

/** `${process.platform}-${process.arch}` of this machine: what the package runs on. */
export function hostPlatform(): string {
  return `${process.platform}-${process.arch}`;
}

/**
 * A valid npm package name for a model's C name: lower case, `_` as `-`,
 * no leading or trailing `-`, never a Node built-in module's name.
 */
export function npmPackageName(modelName: string): string {
  let name = modelName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 200);
  if (name === '') name = 'model';
  if (builtinModules.includes(name) || name === 'node_modules' || name === 'favicon.ico') name = `${name}-model`;
  return name;
}

export interface BindingPackage {
  /** The npm package name (what `import ... from` names). */
  readonly packageName: string;
  /** The platform it runs on, `linux-x64` and so on. */
  readonly builtFor: string;
  /** Relative file names → contents, for writeOutputDir. */
  readonly files: ReadonlyMap<string, string | Uint8Array>;
}

/** Builds the model's library (through the build cache) and assembles the package's files in memory. */
export function bindingPackage(graph: Graph, project: GeneratedProject): BindingPackage {
  const sig = modelSignature(graph, project.name, project.arena.bytes);
  const built = buildVerificationLibrary(project.files, sig, { layerHooks: false, optimize: '-O3' });
  const libraryFile = `lib${sig.name}.so`;
  const builtFor = hostPlatform();
  const packageName = npmPackageName(sig.name);
  const binding = generateBinding(sig, {
    addon: { beside: ADDON_FILE },
    library: { beside: libraryFile },
    layerHooks: false,
    commonjs: true,
    builtFor,
  });
  const [platform, arch] = [process.platform, process.arch];
  const version = MOBILEC_VERSION;
  const packageJson = {
    name: packageName,
    version: PACKAGE_VERSION,
    description: `The model ${sig.name} compiled to C by mobilec ${version}, with a typed Node binding (${builtFor})`,
    private: true,
    type: 'module',
    main: './index.cjs',
    types: './index.d.ts',
    exports: {
      '.': {
        import: { types: './index.d.ts', default: './index.js' },
        require: { types: './index.d.cts', default: './index.cjs' },
      },
      './package.json': './package.json',
    },
    files: ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts', ADDON_FILE, libraryFile, 'README.md'],
    engines: { node: '>=20' },
    os: [platform],
    cpu: [arch],
    mobilec: { version, model: sig.name, builtFor, nodeApi: NODE_API_VERSION },
  };
  const tensor = (t: typeof sig.input) => ({
    dtype: t.dtype,
    shape: `[${t.shape.join(', ')}]`,
    layout: t.layout ?? null,
    scale: t.scale,
    zeroPoint: t.zeroPoint,
    quantized: t.dtype !== 'float32',
  });
  const readme = render('package/README.md.hbs', {
    packageName,
    packageVersion: PACKAGE_VERSION,
    model: sig.name,
    version,
    builtFor,
    nodeApi: NODE_API_VERSION,
    layers: sig.layerCount,
    arenaBytes: sig.arenaBytes.toLocaleString('en-US'),
    arenaBytesRaw: sig.arenaBytes,
    input: tensor(sig.input),
    output: tensor(sig.output),
    expectedInput: expectedInput(sig.input),
    inputArray: typedArrayName(sig.input.dtype),
    libraryFile,
    addonFile: ADDON_FILE,
  });
  const files = new Map<string, string | Uint8Array>([
    ['package.json', `${JSON.stringify(packageJson, null, 2)}\n`],
    ['index.js', binding.js],
    ['index.cjs', binding.cjs],
    ['index.d.ts', binding.dts],
    ['index.d.cts', binding.dts],
    ['README.md', readme],
    [ADDON_FILE, readFileSync(ADDON_PATH)],
    [libraryFile, readFileSync(built.libraryPath)],
  ]);
  return { packageName, builtFor, files };
}
