/** A worker thread that compiles fuzz cases one at a time (fuzz/run.ts sends them). */
import { parentPort } from 'node:worker_threads';
import { type CaseInput, runCase, threadStatPath } from './case.js';

// First message: where the parent reads this thread's CPU time (its time limit is CPU time, not wall time).
parentPort!.postMessage({ stat: threadStatPath() });
parentPort!.on('message', (msg: { id: number; input: CaseInput }) => {
  parentPort!.postMessage({ id: msg.id, result: runCase(msg.input) });
});
