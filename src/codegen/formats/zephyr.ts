/**
 * `compile --format zephyr`: a Zephyr module.
 *
 *     zephyr/module.yml      name; build: cmake: . and kconfig: Kconfig
 *     CMakeLists.txt         if(CONFIG_MOBILEC_<NAME>): a Zephyr library of the model
 *     Kconfig                MOBILEC_<NAME> (bool) and MOBILEC_<NAME>_WEIGHTS_SECTION (string)
 *     include/<name>.h       the model's API, on the application's include path
 *     src/<name>.c, src/mobilec_runtime.h, src/<name>_weights.c
 *
 * The weights are C arrays by default: they build with every toolchain
 * Zephyr supports (the GNU assembler's .incbin is not one of IAR's or every
 * armclang setup's features) and need no assembler include path.
 * `--weights incbin` is accepted too (src/<name>_weights.S + .bin, with the
 * assembler's include path set in CMakeLists.txt): it compiles faster for a
 * big float model under GCC or Clang.
 */
import { render } from '../templates.js';
import { firmwareFiles, requireCortexM, shapeText, type FileMap, type OutputFormat } from './common.js';

export const zephyrFormat: OutputFormat = {
  name: 'zephyr',
  kind: 'zephyr-module',
  weightsFor(target, weights) {
    requireCortexM('zephyr', target);
    return weights ?? 'c';
  },
  files(project) {
    const p = project.params;
    const params = {
      ...p,
      moduleName: `mobilec_${project.name}`,
      configSymbol: `MOBILEC_${p.NAME}`,
      needsMath: project.needsMath,
      weightsIncbin: p.weightsForm === 'incbin',
      inputShape: shapeText(p.input),
      outputShape: shapeText(p.output),
    };
    const files: FileMap = new Map();
    files.set('zephyr/module.yml', render('formats/zephyr/module.yml.hbs', params));
    files.set('CMakeLists.txt', render('formats/zephyr/CMakeLists.txt.hbs', params));
    files.set('Kconfig', render('formats/zephyr/Kconfig.hbs', params));
    for (const [f, content] of firmwareFiles(project)) files.set(f === `${project.name}.h` ? `include/${f}` : `src/${f}`, content);
    return files;
  },
};
