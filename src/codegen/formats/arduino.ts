/**
 * `compile --format arduino`: an Arduino library in the 1.5 format.
 *
 *     library.properties                 name, version, author, ... (the 1.5 specification's fields)
 *     src/<name>.h, <name>.c             the model (the Arduino build compiles every .c under src/
 *     src/<name>_weights.c               with -I src, and gives the assembler no include path
 *     src/mobilec_runtime.h              for .incbin: the weights are C arrays)
 *     examples/Classify/Classify.ino     fills the input, invokes, prints the top class over Serial
 *
 * No CMake and no verification ABI: the Arduino build would compile them too.
 */
import { badInput } from '../../model/errors.js';
import { render } from '../templates.js';
import { firmwareFiles, requireCortexM, shapeText, type FileMap, type OutputFormat } from './common.js';

/** The example sketch: examples/<EXAMPLE>/<EXAMPLE>.ino. */
export const ARDUINO_EXAMPLE = 'Classify';

/** library.properties `url` (the specification wants a URL of the project). */
export const MOBILEC_URL = 'https://www.npmjs.com/package/mobilec';

/** The library's name: letters, digits, `_`; at most 63 characters (the specification's limits). */
export function arduinoLibraryName(name: string): string {
  return `mobilec_${name}`;
}

export const arduinoFormat: OutputFormat = {
  name: 'arduino',
  kind: 'arduino-library',
  weightsFor(target, weights) {
    requireCortexM('arduino', target);
    if (weights === 'incbin') {
      throw badInput('--format arduino writes the weights as C arrays (--weights c): the Arduino build gives the assembler no include path for .incbin');
    }
    return 'c';
  },
  files(project) {
    const p = project.params;
    const libName = arduinoLibraryName(project.name);
    if (libName.length > 63)
      throw badInput(`--format arduino: library name ${libName} is longer than the 63 characters Arduino allows; choose a shorter --name`);
    const params = {
      ...p,
      libName,
      url: MOBILEC_URL,
      inputShape: shapeText(p.input),
      outputShape: shapeText(p.output),
      inputQuantized: p.input.dtype !== 'float32',
      inputFloat: p.input.dtype === 'float32',
      inputInt8: p.input.dtype === 'int8',
      inputUint8: p.input.dtype === 'uint8',
      inputInt32: p.input.dtype === 'int32',
    };
    const files: FileMap = new Map();
    files.set('library.properties', render('formats/arduino/library.properties.hbs', params));
    for (const [f, content] of firmwareFiles(project)) files.set(`src/${f}`, content);
    files.set(`examples/${ARDUINO_EXAMPLE}/${ARDUINO_EXAMPLE}.ino`, render('formats/arduino/example.ino.hbs', params));
    return files;
  },
};
