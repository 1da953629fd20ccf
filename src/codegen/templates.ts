/** Loads and compiles the Handlebars templates under `templates/`. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { internalError } from '../model/errors.js';

function findTemplatesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const cand = join(dir, 'templates');
    if (existsSync(join(cand, 'kernels'))) return cand;
    dir = dirname(dir);
  }
  throw internalError('templates/ directory not found next to the mobilec package');
}

let templatesDir: string | undefined;
const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders `templates/<rel>` with `params` (no HTML escaping, unknown names are errors). */
export function render(rel: string, params: object): string {
  let t = cache.get(rel);
  if (!t) {
    templatesDir ??= findTemplatesDir();
    const src = readFileSync(join(templatesDir, rel), 'utf8');
    t = Handlebars.compile(src, { noEscape: true, strict: true });
    cache.set(rel, t);
  }
  return t(params);
}
