/** Load / generate / verify helpers shared by the end-to-end and property tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateProject } from '../../src/codegen/index.js';
import type { Graph } from '../../src/model/ir.js';
import { loadModel } from '../../src/pipeline.js';
import { host } from '../../src/targets/index.js';
import { verifyOnHost, type VerifyReport } from '../../src/verify/verify.js';

/** Writes a description object to a temporary file and loads it through the full pipeline. */
export function loadDescriptionObject(desc: object, name = 'model'): Graph {
  const dir = mkdtempSync(join(tmpdir(), 'mobilec-desc-'));
  try {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(desc));
    return loadModel(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function verifyGraph(graph: Graph, inputs = 1, firstSeed = 1): Promise<VerifyReport> {
  const project = generateProject(graph, { name: graph.name, target: host, kernels: 'generic' });
  return verifyOnHost(graph, project, { inputs, firstSeed });
}

/** A readable summary of the layers that disagree, for assertion messages. */
export function divergences(r: VerifyReport): string[] {
  return r.layers.filter((l) => l.mismatches > 0).map((l) => `layer ${l.index} ${l.op} ${l.dtype}: ${l.mismatches} mismatches, max diff ${l.maxAbsDiff}`);
}
