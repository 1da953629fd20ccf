/** Inference batch norm (float only), per channel over the last axis. */
export function batchNormFloat(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  epsilon: number,
  out: Float32Array = new Float32Array(x.length),
): Float32Array {
  const C = gamma.length;
  const scale = new Float64Array(C);
  for (let c = 0; c < C; c++) scale[c] = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
  for (let i = 0; i < x.length; i += C) {
    for (let c = 0; c < C; c++) out[i + c] = scale[c]! * (x[i + c]! - mean[c]!) + beta[c]!;
  }
  return out;
}
