/**
 * Qwen2-VL's `smart_resize` (transformers, image_processing_qwen2_vl.py), reproduced bit for bit so
 * that the size we send is the size the server would resize to anyway: its own resize becomes an
 * identity and the token count we show is the one the model pays.
 */

/** patch_size 14 × merge_size 2. */
export const IMAGE_FACTOR = 28;
/** 56 × 56, Qwen2-VL's preprocessor_config.json. */
export const DEFAULT_MIN_PIXELS = 3136;
/** 16384 × 28 × 28, Qwen2-VL's preprocessor_config.json. */
export const DEFAULT_MAX_PIXELS = 12845056;
export const MAX_ASPECT_RATIO = 200;

/**
 * Thrown for an aspect ratio over 200, as Python raises ValueError. It carries the same `code` as
 * imagePrep's ImageError so callers can switch on it without this module depending on imagePrep.
 */
export class AspectRatioError extends Error {
  readonly code = 'aspect-ratio' as const;
  constructor(readonly ratio: number) {
    super(`absolute aspect ratio must be at most ${MAX_ASPECT_RATIO}, got ${ratio.toFixed(1)}`);
    this.name = 'AspectRatioError';
  }
}

/**
 * Python 3's round(): halves go to the even neighbour. Math.round would send 70/28 = 2.5 to 3 and
 * disagree with the server for whole families of sizes. x - floor(x) is exact for doubles, so the
 * 0.5 comparison is too.
 */
function pyRound(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The operations and their order mirror the Python expression by expression (h / beta / factor,
 * not h / (beta * factor)): doubles are IEEE in both languages, so only the same order gives the
 * same floor/ceil at the edges.
 */
export function smartResize(
  height: number,
  width: number,
  minPixels: number = DEFAULT_MIN_PIXELS,
  maxPixels: number = DEFAULT_MAX_PIXELS,
  factor: number = IMAGE_FACTOR,
): { height: number; width: number } {
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0)) {
    throw new RangeError(`smartResize needs positive integer sizes, got ${height}×${width}`);
  }
  const ratio = Math.max(height, width) / Math.min(height, width);
  if (ratio > MAX_ASPECT_RATIO) throw new AspectRatioError(ratio);

  let hBar = pyRound(height / factor) * factor;
  let wBar = pyRound(width / factor) * factor;
  if (hBar * wBar > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    hBar = Math.max(factor, Math.floor(height / beta / factor) * factor);
    wBar = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (hBar * wBar < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    hBar = Math.ceil((height * beta) / factor) * factor;
    wBar = Math.ceil((width * beta) / factor) * factor;
  }
  return { height: hBar, width: wBar };
}

/** Visual tokens after the 2×2 merge: one per 28×28 block of the image as sent. */
export function imageTokens(sentWidth: number, sentHeight: number): number {
  return (sentHeight / IMAGE_FACTOR) * (sentWidth / IMAGE_FACTOR);
}
