/** A worker thread that compiles fuzz cases one at a time (fuzz/pool.ts sends them). */
import { parentPort } from 'node:worker_threads';
import { type CaseInput, runCase } from './case.js';

parentPort!.on('message', (msg: { id: number; input: CaseInput }) => {
  parentPort!.postMessage({ id: msg.id, result: runCase(msg.input) });
});
