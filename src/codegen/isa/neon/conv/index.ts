/**
 * The NEON standard-convolution variants (first layers; pointwise 1x1 goes to
 * the GEMM family), in preference order. Keys:
 *   neondot/conv/sdotpk   rpi5 int8 row loop, every tap packed and gathered by TBL, SDOT (16- or 8-channel blocks)
 *   neondot/conv/sdot     rpi5 int8 row loop, SDOT by 4-tap row groups
 *   neondot/conv/sdottile rpi5 int8 register tile, SDOT (shapes the row loop does not take)
 *   neon/conv/mla         aarch64 int8 row loop, int16 MLA tap groups (when the weights allow fewer instructions)
 *   neon/conv/rows        aarch64 row loop, float32 FMLA or int16-widened SMLAL
 *   neon/conv/tile        aarch64 register tile (assembly or intrinsics)
 *   neon32/conv/tile      int8/uint8 register tile in portable intrinsics (armv7, and aarch64 shapes without an aarch64 tile)
 *   neon/conv/general     aarch64 any shape, 8 channel quads per block
 *   neon32/conv/general   armv7 any shape, 4 channel quads per block
 */
import type { OpEmission, SimdVariant } from '../../../types.js';
import type { KernelId, KernelIsa } from '../../../kernelId.js';
import { convLayer, convTileShape, convTileShapeV7, isAarch64, packedSdotTile, sdotTile, type ConvLayer, type ConvTile } from './plan.js';
import { emitRows, rowsId, rowsSpec, type LoopSpec, type RowsForm } from './rows.js';
import { emitTile, tileId, type TileForm } from './tile.js';
import { emitGeneral, generalId } from './general.js';

/** A conv variant from its plan (null: the layer is not one it takes), name and emission. */
function variant<P>(
  key: string,
  isa: KernelIsa,
  plan: (c: ConvLayer) => P | null,
  id: (c: ConvLayer, p: P) => KernelId,
  emit: (c: ConvLayer, p: P) => OpEmission,
): SimdVariant<{ c: ConvLayer; p: P }> {
  return {
    key,
    isa,
    ops: ['conv2d'],
    applies(layer) {
      const c = convLayer(layer);
      const p = c ? plan(c) : null;
      return c && p !== null ? { c, p } : null;
    },
    id: (_layer, { c, p }) => id(c, p),
    emit: (_layer, { c, p }) => emit(c, p),
  };
}

/** aarch64 row loops: SDOT (rpi5 int8) or the aarch64 tile's registers. */
const rows = (key: string, isa: 'neon' | 'neondot', form: RowsForm) =>
  variant<LoopSpec>(
    key,
    isa,
    (c) => {
      if (!isAarch64(c.ctx)) return null;
      // the widest tile, else 4 pixels (an 8-channel stem whose 8-pixel segment does not fit the loop's registers)
      const tiles =
        form === 'sdotpk' ? [packedSdotTile(c)] : isa === 'neondot' ? [sdotTile(c)] : [convTileShape(c.g, c.quant), convTileShape(c.g, c.quant, [4])];
      for (const tile of tiles) {
        const spec = tile ? rowsSpec(c, tile, form) : null;
        if (spec) return spec;
      }
      return null;
    },
    rowsId,
    emitRows,
  );

/** Register tiles: SDOT, the aarch64 shapes, or the armv7 intrinsics (int8 shapes without an aarch64 tile). */
const tile = (key: string, isa: KernelIsa, form: TileForm) =>
  variant<ConvTile>(
    key,
    isa,
    (c) => {
      const a64Tile = isAarch64(c.ctx) ? convTileShape(c.g, c.quant) : null;
      return form === 'sdot' ? sdotTile(c) : form === 'a64' ? a64Tile : c.quant && !a64Tile ? convTileShapeV7(c.g) : null;
    },
    (c, t) => tileId(c, t, form),
    (c, t) => emitTile(c, t, form),
  );

const general = (key: string, isa: 'neon' | 'neon32') =>
  variant<true>(key, isa, (c) => (isAarch64(c.ctx) === (isa === 'neon') ? true : null), generalId, emitGeneral);

/** Every NEON conv variant, in preference order (selectVariant takes the first that applies). */
export const convVariants: readonly SimdVariant<any>[] = [
  rows('neondot/conv/sdotpk', 'neondot', 'sdotpk'),
  rows('neondot/conv/sdot', 'neondot', 'sdot'),
  tile('neondot/conv/sdottile', 'neondot', 'sdot'),
  rows('neon/conv/mla', 'neon', 'mla'),
  rows('neon/conv/rows', 'neon', 'plain'),
  tile('neon/conv/tile', 'neon', 'a64'),
  tile('neon32/conv/tile', 'neon32', 'v7'),
  general('neon/conv/general', 'neon'),
  general('neon32/conv/general', 'neon32'),
];
