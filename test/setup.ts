/**
 * Compiling and emulating run synchronously (spawnSync). Between tests,
 * give the worker's event loop a macrotask turn so vitest's RPC replies get
 * through; otherwise a file of long synchronous tests blocks it past the RPC
 * timeout ("Timeout calling onTaskUpdate").
 */
import { beforeEach } from 'vitest';

beforeEach(async () => {
  await new Promise<void>((resolve) => setImmediate(resolve));
});
