/**
 * Bicubic resampling as Qwen2-VL's processor does it: Pillow's BICUBIC (Catmull-Rom, a = -0.5),
 * reproduced bit for bit (same coefficients, 22-bit fixed point, horizontal pass then vertical), so
 * that the image we send is the one the processor would have made from the original.
 *
 * It runs on the decoded pixels in WebAssembly memory (pixelKernels.ts) and handles upscaling and
 * mild downscaling, which is what smart_resize's rounding to multiples of 28 asks for. libvips'
 * upscale (an affine transform) took ~600 ms for 4000→4004 pixels and sits about half a pixel off
 * Pillow's sampling grid; shrinking by more than MAX_SHRINK stays with libvips' reduce, which agrees
 * with Pillow to a mean of 0.1 levels and is faster there.
 */

import { MAX_TAPS, PRECISION_BITS, type PixelKernels, leaseKernels } from './pixelKernels';

/** An axis shrunk by more than this goes to libvips before the pixels reach us. */
export const MAX_SHRINK = 1.25;

/**
 * Pixels in kernel memory, rendered on demand, top to bottom, a strip of rows at a time: each stage
 * (flatten, horizontal pass, vertical pass, then the encoder's own) reads rows the previous one has
 * just written, still in cache, and only the decoded image is ever held whole.
 */
export interface Canvas {
  readonly kernels: PixelKernels;
  readonly width: number;
  readonly height: number;
  /** Output rows per strip (about STRIP_BYTES of them). */
  readonly stripRows: number;
  /** Copies the decoded image in (8-bit RGB or RGBA, width × height of the decoded size). */
  load(pixels: Uint8Array, channels: number): void;
  /**
   * Renders output rows [from, from + count), strips in order from row 0, and says where they are:
   * row `from` at `at`, rows `stride` apart, and row from − 1 at at − stride (zeros above row 0).
   * Valid until the next call.
   */
  strip(from: number, count: number): { at: number; stride: number };
  /** Offset of `bytes` of memory for the caller (the same region on every call). */
  scratch(bytes: number): number;
  /** Gives the memory back; nothing may read it afterwards. */
  release(): void;
}

/** See Canvas: ~100 KB, a few rows of a large image, within a core's L2 cache with its inputs. */
const STRIP_BYTES = 96 * 1024;

interface Taps {
  /** Taps per output (the widest window; narrower ones are padded with zero weights). */
  count: number;
  /** Taps that output x needs: its window's size, or count where the window was moved inside the input. */
  used: Int32Array;
  /** First input index of each output's window, kept inside the input. */
  start: Int32Array;
  /** count weights per output, fixed point. */
  weights: Int32Array;
}

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Pillow's precompute_coeffs and normalize_coeffs_8bpc (Resample.c) for one axis, same arithmetic. */
export function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const ss = 1 / filterScale;
  const window = Math.ceil(support) * 2 + 1;
  const mins = new Int32Array(outSize);
  const sizes = new Int32Array(outSize);
  const fixedWeights = new Int32Array(outSize * window);
  const k = new Float64Array(window);
  for (let x = 0; x < outSize; x++) {
    const center = (x + 0.5) * scale;
    const min = Math.max(0, Math.trunc(center - support + 0.5));
    const size = Math.min(inSize, Math.trunc(center + support + 0.5)) - min;
    let total = 0;
    for (let i = 0; i < size; i++) total += k[i] = bicubic((i + min - center + 0.5) * ss);
    for (let i = 0; i < size; i++) fixedWeights[x * window + i] = fixed(total === 0 ? k[i]! : k[i]! / total);
    mins[x] = min;
    sizes[x] = size;
  }
  const count = Math.min(inSize, Math.max(...sizes));
  if (count > MAX_TAPS) throw new Error(`internal: ${inSize}→${outSize} needs ${count} taps, over ${MAX_TAPS}`);
  const start = new Int32Array(outSize);
  const used = new Int32Array(outSize);
  const weights = new Int32Array(outSize * count);
  for (let x = 0; x < outSize; x++) {
    const s = Math.min(mins[x]!, inSize - count);
    start[x] = s;
    used[x] = s === mins[x] ? sizes[x]! : count;
    for (let i = 0; i < sizes[x]!; i++) weights[x * count + mins[x]! - s + i] = fixedWeights[x * window + i]!;
  }
  return { count, used, start, weights };
}

const fixed = (w: number): number => Math.trunc(w * (1 << PRECISION_BITS) + (w < 0 ? -0.5 : 0.5));
const align = (n: number): number => (n + 15) & ~15;

/** Horizontal spans: runs of outputs whose window starts at a constant offset from the output. */
function spans(t: Taps, outSize: number): Array<[number, number]> {
  // Spans are also cut every 384 pixels so that a span's weights (≤ 384·3/8 · taps · 32 bytes) stay in L1.
  const out: Array<[number, number]> = [];
  let from = 0;
  for (let x = 1; x <= outSize; x++) {
    if (x === outSize || t.start[x]! - x !== t.start[from]! - from || x - from >= 384) {
      out.push([from, x]);
      from = x;
    }
  }
  return out;
}

/**
 * A canvas that resamples width × height decoded pixels to outWidth × outHeight. Everything that does
 * not need the pixels (coefficients, memory, weights) is done here, so it can overlap the decode.
 */
export function createCanvas(width: number, height: number, outWidth: number, outHeight: number): Canvas {
  const h = width !== outWidth ? taps(width, outWidth) : undefined;
  const v = height !== outHeight ? taps(height, outHeight) : undefined;
  const hSpans = h ? spans(h, outWidth) : [];
  const inRow = width * 3;
  const outRow = outWidth * 3;
  const stripRows = Math.max(1, Math.floor(STRIP_BYTES / outRow));
  // The horizontal pass writes 8 bytes at a time past each span's end: its rows get 16 spare bytes.
  const hStride = align(outRow + 16);
  // Horizontal-pass rows held: a strip's worth of input rows plus the window the vertical pass keeps.
  const hCapacity = Math.ceil(stripRows * Math.max(1, height / outHeight)) + 2 * MAX_TAPS + 4;
  // Every region has a zero row before it (the PNG filter's row above row 0) and slack after it.
  const guard = align(Math.max(width * 4, hStride) + 32);

  let end = 0;
  const region = (bytes: number): number => {
    const at = end + guard;
    end = at + align(bytes + 64);
    return at;
  };
  const input = region(width * height * 4);
  const hBuf = h ? region(hStride * hCapacity) : 0;
  // Row 0: the previous strip's last row; rows 1…: the strip.
  const vBuf = v ? region(outRow * (stripRows + 1)) : 0;
  const hWeights = end;
  end += hSpans.reduce((n, [a, b]) => n + Math.ceil(((b - a) * 3) / 8) * 32 * (h?.count ?? 0), 0);
  const vWeights = end;
  end += v ? outHeight * v.count * 16 : 0;
  end = align(end);

  const lease = leaseKernels(end + 64);
  const k = lease.kernels;
  const memory = k.memory;
  // New pages are faulted in now, while the image decodes, rather than by the first pass over them.
  if (lease.fresh) for (let i = 0; i < end; i += 4096) memory[i] = 0;
  for (const at of [input, hBuf, vBuf]) if (at) memory.fill(0, at - guard, at);
  if (v) memory.fill(0, vBuf, vBuf + outRow);
  const i32 = new Int32Array(memory.buffer, 0, end >> 2);
  hSpans.reduce((at, [from, to]) => {
    // Per 8 output bytes: count × 8 weights, one per byte (the pixel's weight for each channel).
    const groups = Math.ceil(((to - from) * 3) / 8);
    for (let g = 0; g < groups; g++) {
      for (let t = 0; t < h!.count; t++) {
        for (let l = 0; l < 8; l++) {
          const x = from + Math.floor((g * 8 + l) / 3);
          i32[(at >> 2) + (g * h!.count + t) * 8 + l] = x < to ? h!.weights[x * h!.count + t]! : 0;
        }
      }
    }
    return at + groups * h!.count * 32;
  }, hWeights);
  for (let y = 0; v && y < outHeight; y++) {
    for (let t = 0; t < v.count; t++) i32.fill(v.weights[y * v.count + t]!, (vWeights >> 2) + (y * v.count + t) * 4, (vWeights >> 2) + (y * v.count + t + 1) * 4);
  }

  let channels = 0;
  const load = (pixels: Uint8Array, c: number): void => {
    if ((c !== 3 && c !== 4) || pixels.length !== width * height * c) {
      throw new Error(`internal: decoded ${pixels.length} bytes for ${width}×${height}×${c}, expected 8-bit RGB or RGBA`);
    }
    channels = c;
    k.memory.set(pixels, input);
  };

  let next = 0; // the next output row to render
  let flattened = 0;
  let hBase = 0; // hBuf holds horizontal-pass rows [hBase, hDone)
  let hDone = 0;
  let lastCount = 0;
  const strip = (from: number, count: number): { at: number; stride: number } => {
    const to = Math.min(from + count, outHeight);
    if (!channels || from !== next || to <= from) throw new Error(`internal: strip ${from}+${count} of ${outHeight} (next ${next}, loaded ${channels > 0})`);
    next = to;
    const need = v ? Math.min(height, v.start[to - 1]! + v.count) : to;
    if (channels === 3) flattened = need;
    if (flattened < need) {
      k.flatten(input + flattened * width * 4, input + flattened * inRow, (need - flattened) * width);
      flattened = need;
    }
    if (h) {
      // Keep what this strip still reads (its window, or the row above it for the PNG filter).
      const keep = Math.max(0, v ? v.start[from]! : from - 1);
      if (need - hBase > hCapacity) {
        k.memory.copyWithin(hBuf, hBuf + (keep - hBase) * hStride, hBuf + (hDone - hBase) * hStride);
        hBase = keep;
      }
      let wp = hWeights;
      for (const [a, b] of hSpans) {
        const bytes = (b - a) * 3;
        k.horizontal[h.count]!(hBuf + (hDone - hBase) * hStride + a * 3, input + hDone * inRow + h.start[a]! * 3, bytes, need - hDone, hStride, inRow, wp);
        wp += Math.ceil(bytes / 8) * h.count * 32;
      }
      hDone = need;
    }
    if (!v) return h ? { at: hBuf + (from - hBase) * hStride, stride: hStride } : { at: input + from * inRow, stride: inRow };
    if (from > 0) k.memory.copyWithin(vBuf, vBuf + lastCount * outRow, vBuf + (lastCount + 1) * outRow);
    lastCount = to - from;
    const src = h ? hBuf - hBase * hStride : input;
    const srcStride = h ? hStride : inRow;
    for (let y = from; y < to; y++) {
      // Most rows of a slight shrink need one tap fewer than the widest: their last weight is zero.
      k.vertical[v.used[y]!]!(vBuf + (1 + y - from) * outRow, src + v.start[y]! * srcStride, outRow, srcStride, vWeights + y * v.count * 16);
    }
    return { at: vBuf + outRow, stride: outRow };
  };

  return {
    kernels: k,
    width: outWidth,
    height: outHeight,
    stripRows,
    load,
    strip,
    scratch(bytes) {
      lease.reserve(end + bytes + 64);
      return end;
    },
    release: lease.release,
  };
}

/** The canvas rendered into packed RGB rows in a Buffer of its own (for encoders outside kernel memory). */
export function canvasRgb(c: Canvas): Buffer {
  const row = c.width * 3;
  const out = Buffer.allocUnsafe(row * c.height);
  for (let from = 0; from < c.height; from += c.stripRows) {
    const { at, stride } = c.strip(from, c.stripRows);
    for (let y = from; y < Math.min(c.height, from + c.stripRows); y++) {
      out.set(c.kernels.memory.subarray(at + (y - from) * stride, at + (y - from) * stride + row), y * row);
    }
  }
  return out;
}
