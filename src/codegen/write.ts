/** Writes a generated project atomically: into a temp dir beside `dir`, then rename. */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { badInput } from '../model/errors.js';
import type { GeneratedProject } from './index.js';

export function writeProject(dir: string, project: GeneratedProject, opts: { force: boolean }): void {
  const target = resolve(dir);
  if (existsSync(target) && !opts.force) {
    throw badInput(`output directory ${dir} already exists; pass --force to replace it`);
  }
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  try {
    for (const [file, content] of project.files) {
      writeFileSync(join(tmp, file), content);
    }
    if (existsSync(target)) {
      const old = mkdtempSync(join(parent, `.${basename(target)}.old-`));
      rmSync(old, { recursive: true, force: true });
      renameSync(target, old);
      try {
        renameSync(tmp, target);
      } catch (e) {
        renameSync(old, target);
        throw e;
      }
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
