/**
 * NEON register allocation: the only TypeScript that computes what the
 * assembly of a tile looks like (which vector register holds which
 * accumulator, input or parameter, and the straight-line schedules that
 * depend on the geometry). Everything it returns is data (register numbers,
 * lists of operations); the templates under templates/kernels/ and
 * templates/partials/neon/ spell the instructions. No C or assembly text is
 * built here or anywhere else in src/codegen/isa/neon/.
 *
 * The requantization epilogue is the partial neon/requant_a64 (aarch64) or
 * neon/requant_a32 (armv7), fast form `rn` and general form `ls`; a tile
 * hands it the registers this file assigns.
 *
 * Keep this file at most ~300 lines: one section per kernel family owner.
 */

// ---- pointwise / depthwise

// ---- conv (neonconv)
