/**
 * The mobilec command line (docs/CONTRACT.md, "Commands"). Every failure is one
 * line on stderr and an exit code from the contract's table.
 */
import { DEFAULT_BUDGET } from '../model/budget.js';
import { Command, CommanderError, Option } from 'commander';
import { MobilecError, ExitCode } from '../model/errors.js';
import { TARGETS } from '../targets/index.js';
import { MOBILEC_VERSION } from '../util/version.js';
import { compileCommand } from './compile.js';
import { inspectCommand } from './inspect.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { verifyCommand } from './verify.js';
import { formatChoice, kernelChoice, weightsChoice, nonNegativeInt, positiveInt, positiveNumber, finiteNumberList, targetName, tuneItem } from './options.js';

/** Every command's `<model>`: the formats loadModel accepts. */
const MODEL_ARG_HELP = `model file: a TensorFlow Lite model (.tflite), an ONNX model (.onnx, float32) or a JSON description (.json)`;

function targetOption(): Option {
  return new Option('--target <target>', `target to compile for: ${[...TARGETS.keys()].join(', ')}`).default('host').argParser(targetName);
}

function kernelsOption(): Option {
  return new Option('--kernels <kernels>', 'simd: the target SIMD kernels; generic: plain C').default('simd').argParser(kernelChoice);
}

function tuneOption(): Option {
  return new Option(
    '--tune <key=value>',
    'kernel-choice experiment, repeatable: only=<variant key> restricts the SIMD kernels to these variants; <switch>=<value> sets a variant switch',
  ).argParser(tuneItem);
}

/** The resource budget's limits (src/model/budget.ts), on every command that loads a model. */
function withBudget(cmd: Command): Command {
  return cmd
    .option('--max-tensor-bytes <n>', `largest tensor, in bytes (default ${DEFAULT_BUDGET.maxTensorBytes})`, positiveInt('--max-tensor-bytes'))
    .option('--max-weight-bytes <n>', `all weights together, in bytes (default ${DEFAULT_BUDGET.maxWeightBytes})`, positiveInt('--max-weight-bytes'))
    .option(
      '--max-activation-bytes <n>',
      `all activation tensors together, in bytes (default ${DEFAULT_BUDGET.maxActivationBytes})`,
      positiveInt('--max-activation-bytes'),
    )
    .option('--max-ops <n>', `most ops in the graph (default ${DEFAULT_BUDGET.maxOps})`, positiveInt('--max-ops'));
}

export function buildProgram(): Command {
  const program = new Command('mobilec')
    .description('Compile MobileNet-family models into fixed-size, allocation-free C, verified against a TypeScript reference')
    .version(MOBILEC_VERSION)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`mobilec: ${str.replace(/^error: /, '').trimEnd()}\n`) })
    .showHelpAfterError(false);

  program
    .command('compile')
    .description('generate the C project (model .h/.c, weights, CMakeLists.txt), an Arduino library or a Zephyr module for a model')
    .argument('<model>', MODEL_ARG_HELP)
    .addOption(targetOption())
    .addOption(kernelsOption())
    .addOption(tuneOption())
    .addOption(
      new Option(
        '--format <format>',
        'cmake: C project with CMakeLists.txt; arduino: Arduino library; zephyr: Zephyr module (arduino and zephyr: Cortex-M targets)',
      )
        .default('cmake')
        .argParser(formatChoice),
    )
    .addOption(
      new Option(
        '--weights <form>',
        'incbin: <name>_weights.bin pulled in by GNU .incbin in <name>_weights.S; c: C arrays in <name>_weights.c (default: incbin; c for arduino and zephyr)',
      ).argParser(weightsChoice),
    )
    .option('--name <name>', 'C identifier of the model (default: file base name with [^A-Za-z0-9_] → _)')
    .requiredOption('--out <dir>', 'output directory (written atomically)')
    .option('--force', 'replace an existing output directory', false)
    .option('--binding <dir>', 'also write an npm package of the model for this machine (--target host): addon, library, typed index.js/index.d.ts')
    .action(compileCommand);

  program
    .command('verify')
    .description('build the generated C into the Node addon and compare every layer with the TypeScript reference')
    .argument('<model>', MODEL_ARG_HELP)
    .addOption(targetOption())
    .addOption(kernelsOption())
    .addOption(tuneOption())
    .option('--inputs <n>', 'number of seeded inputs', positiveInt('--inputs'), 3)
    .option('--layers', 'compare every layer (always on for host)', false)
    .option('--json', 'print the per-layer report as JSON', false)
    .option('--quiet', 'no progress on stderr (builds, emulator runs, comparison)', false)
    .action(verifyCommand);

  program
    .command('run')
    .description('run one inference of the generated C and print the output')
    .argument('<model>', MODEL_ARG_HELP)
    .addOption(targetOption())
    .addOption(kernelsOption())
    .addOption(tuneOption())
    .option('--input <raw.bin>', 'raw input tensor (little-endian, NHWC, the model input dtype)')
    .option('--image <file>', 'image file (BMP, PNG, JPEG)')
    .option('--seed <n>', 'deterministic random input', nonNegativeInt('--seed'))
    .option('--output <raw.bin>', 'write the raw output tensor here')
    .option('--save-input <raw.bin>', 'write the exact input tensor given to the model (e.g. the preprocessed --image) here')
    .option('--labels <file>', 'one label per line, index 0 first')
    .option('--top <k>', 'how many classes to print', positiveInt('--top'), 5)
    .option('--repeat <n>', 'time this many inferences (median)', positiveInt('--repeat'), 1)
    .option('--mean <m>', 'image mapping x = (p - m) / s; one value, or one per channel (123.675,116.28,103.53)', finiteNumberList('--mean'))
    .option('--std <s>', 'image mapping x = (p - m) / s; one value, or one per channel (58.395,57.12,57.375)', finiteNumberList('--std'))
    .option('--json', 'print one JSON object (docs/CONTRACT.md, run --json)', false)
    .option('--profile', 'also count instructions layer by layer (emulated targets): a table, or layers in --json', false)
    .option(
      '--clock-mhz <f>',
      'also print the estimated milliseconds per inference at this core clock (targets with a cycle model)',
      positiveNumber('--clock-mhz'),
    )
    .option('--quiet', 'no progress on stderr (emulated targets: builds and QEMU runs)', false)
    .action(runCommand);

  program
    .command('inspect')
    .description('print per-layer shapes, MACs, parameter and activation bytes, and the planned arena')
    .argument('<model>', MODEL_ARG_HELP)
    .addOption(targetOption())
    .option('--json', 'print JSON (docs/CONTRACT.md, inspect --json)', false)
    .action(inspectCommand);

  program
    .command('report')
    .description(
      'write one self-contained HTML page: model summary, sortable layer table, block costs, the memory plan and per-layer charts; ' +
        'profiled per layer on an emulated --target, verified per layer with --verify',
    )
    .argument('<model>', MODEL_ARG_HELP)
    .addOption(targetOption())
    .option('--verify', 'also verify every layer against the reference on the target (3 seeded inputs) and show the result', false)
    .option('--out <file>', 'the HTML file to write (written atomically)', 'report.html')
    .option('--quiet', 'no progress lines on stderr', false)
    .action(reportCommand);

  for (const c of program.commands) withBudget(c);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) {
    // No command at all is a usage error: the usage goes to stderr, exit 2.
    process.stderr.write(program.helpInformation());
    return ExitCode.badInput;
  }
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? ExitCode.ok : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version end in a "error" too; everything else is a usage error.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return ExitCode.ok;
      return ExitCode.badInput;
    }
    if (e instanceof MobilecError) {
      process.stderr.write(`mobilec: ${e.message}\n`);
      if (process.env.MOBILEC_DEBUG === '1') process.stderr.write(`${e.stack}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`mobilec: internal error: ${String(err?.message ?? err).split('\n')[0]} (set MOBILEC_DEBUG=1 for a stack trace)\n`);
    if (process.env.MOBILEC_DEBUG === '1') process.stderr.write(`${err?.stack}\n`);
    return ExitCode.internal;
  }
}
