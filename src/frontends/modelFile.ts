/**
 * The bytes of a binary model file (.tflite, .onnx), read after its size is
 * checked against the budget: a missing or unreadable file, or one over
 * `maxFileBytes`, is one line naming the file (exit 2).
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { overBudget, type Budget } from '../model/budget.js';
import { badInput } from '../model/errors.js';

export function readModelFile(path: string, budget: Budget): Uint8Array {
  const file = basename(path);
  const cannotRead = (e: unknown) => badInput(`${file}: cannot read the model (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw cannotRead(e);
  }
  if (size > budget.maxFileBytes) overBudget(budget, 'maxFileBytes', size, `${file}: `, 'the file');
  try {
    return readFileSync(path);
  } catch (e) {
    throw cannotRead(e);
  }
}
