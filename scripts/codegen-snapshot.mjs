#!/usr/bin/env node
// Generated C of every example and shared model on every target, for
// behaviour-preserving refactors: `write <dir>` stores it, `compare <dir>`
// regenerates and reports each file that differs (exactly, and again with
// kernel function names replaced by their order of appearance, so that a
// pure renaming shows as "names only"; kernels declared through a
// MOBILEC_<ISA>_KERNEL macro count as static). Run after `npm run build`.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { prepareModel } = await import(join(root, 'dist/cli/prepare.js'));
const { TARGETS } = await import(join(root, 'dist/targets/index.js'));

const [mode, dir] = process.argv.slice(2);
if (!['write', 'compare'].includes(mode) || !dir) {
  console.error('usage: node scripts/codegen-snapshot.mjs write|compare <dir>');
  process.exit(2);
}
const models = [
  ...readdirSync(join(root, 'examples/models'))
    .filter((f) => f.endsWith('.json') && !f.includes('schema'))
    .map((f) => join(root, 'examples/models', f)),
  ...['person_detect.tflite', 'mobilenet_v1_0.25_128_quant.tflite'].map((f) => resolve(root, '../shared/models', f)).filter(existsSync),
];
const normalise = (src) => {
  const names = [...new Set([...src.matchAll(/\b(?:static|MOBILEC_\w+_KERNEL|MOBILEC_NEON_INLINE)\b[^;{(]*?\b(\w+)\s*\([^;]*?\)\s*\{/gs)].map((m) => m[1]))];
  let out = src;
  [...names]
    .sort((a, b) => b.length - a.length)
    .forEach((n) => {
      out = out.replace(new RegExp(`\\b${n}\\b`, 'g'), `K${names.indexOf(n)}`);
    });
  return out;
};
let same = 0,
  renamed = 0,
  differ = 0;
for (const model of models) {
  for (const target of TARGETS.keys()) {
    for (const kernels of ['simd', 'generic']) {
      if (kernels === 'generic' && target !== 'host' && target !== 'cortex-m4' && target !== 'rpi4') continue;
      const { project } = prepareModel(model, { target, kernels });
      const sub = join(dir, `${model.split('/').pop()}`, `${target}-${kernels}`);
      for (const [file, content] of project.files) {
        const text = typeof content === 'string' ? content : `sha256 ${createHash('sha256').update(content).digest('hex')}\n`;
        const path = join(sub, file);
        if (mode === 'write') {
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, text);
          continue;
        }
        const old = existsSync(path) ? readFileSync(path, 'utf8') : null;
        if (old === text) same++;
        else if (old !== null && normalise(old) === normalise(text)) {
          renamed++;
          console.log(`names only  ${path}`);
        } else {
          differ++;
          console.log(`DIFFERS     ${path}`);
        }
      }
    }
  }
}
if (mode === 'compare') console.log(`${same} identical, ${renamed} differ in kernel names only, ${differ} differ`);
