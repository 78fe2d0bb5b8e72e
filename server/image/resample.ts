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
 * Pixels in kernel memory, rendered on demand in row order: render(n) makes the first n output rows
 * final (flatten, horizontal and vertical passes run only as far as those rows need), so an encoder
 * can filter and deflate the top of the image while the bottom is still being resampled.
 */
export interface Canvas {
  readonly kernels: PixelKernels;
  readonly width: number;
  readonly height: number;
  render(rows: number): void;
  /** Offset and stride of the output rows; a zero row (the PNG filter's "row above") precedes them. */
  readonly pixels: number;
  readonly stride: number;
  /** Offset of a free region of (width·3 + 1)·height bytes (and 64 more), for the PNG filter. */
  readonly spare: number;
  /** Gives the memory back; nothing may read it afterwards. */
  release(): void;
}

interface Taps {
  /** Taps per output (the widest window; narrower ones are padded with zero weights). */
  count: number;
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

/** Pillow's precompute_coeffs and normalize_coeffs_8bpc (Resample.c) for one axis. */
export function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const windows: Array<{ min: number; k: number[] }> = [];
  for (let x = 0; x < outSize; x++) {
    const center = (x + 0.5) * scale;
    const min = Math.max(0, Math.trunc(center - support + 0.5));
    const max = Math.min(inSize, Math.trunc(center + support + 0.5));
    const k: number[] = [];
    let total = 0;
    for (let i = min; i < max; i++) {
      const w = bicubic((i - center + 0.5) / filterScale);
      k.push(w);
      total += w;
    }
    windows.push({ min, k: k.map((w) => fixed(total === 0 ? w : w / total)) });
  }
  const count = Math.min(inSize, Math.max(...windows.map((w) => w.k.length)));
  if (count > MAX_TAPS) throw new Error(`internal: ${inSize}→${outSize} needs ${count} taps, over ${MAX_TAPS}`);
  const start = new Int32Array(outSize);
  const weights = new Int32Array(outSize * count);
  windows.forEach(({ min, k }, x) => {
    const s = Math.min(min, inSize - count);
    start[x] = s;
    k.forEach((w, j) => (weights[x * count + min - s + j] = w));
  });
  return { count, start, weights };
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
 * Copies decoded pixels (RGB or RGBA, 8-bit) into kernel memory, to be flattened onto white and
 * resampled to outWidth × outHeight as rows are asked for. Each stage has its own region (a band of
 * a later stage must not overwrite rows an earlier one still needs), each behind a zero guard row.
 */
export function canvas(raw: Uint8Array, width: number, height: number, channels: number, outWidth: number, outHeight: number): Canvas {
  if ((channels !== 3 && channels !== 4) || raw.length !== width * height * channels) {
    throw new Error(`internal: decoded ${raw.length} bytes for ${width}×${height}×${channels}, expected 8-bit RGB or RGBA`);
  }
  const h = width !== outWidth ? taps(width, outWidth) : undefined;
  const v = height !== outHeight ? taps(height, outHeight) : undefined;
  const hSpans = h ? spans(h, outWidth) : [];
  const inRow = width * 3;
  const outRow = outWidth * 3;
  // The horizontal pass writes 8 bytes at a time past each span's end: its rows get 16 spare bytes.
  const hStride = align(outRow + 16);
  const guard = align(Math.max(width * channels, hStride) + 32);

  let end = 0;
  const region = (bytes: number): number => {
    const at = end + guard;
    end = at + align(bytes + 64);
    return at;
  };
  const input = region(width * height * channels);
  const hOut = h ? region(hStride * height) : input;
  const vOut = v ? region(outRow * outHeight) : hOut;
  const spare = region((outRow + 1) * outHeight);
  const hWeights = end;
  end += hSpans.reduce((n, [a, b]) => n + Math.ceil(((b - a) * 3) / 8) * 32 * (h?.count ?? 0), 0);
  const vWeights = end;
  end += v ? outHeight * v.count * 16 : 0;

  const lease = leaseKernels(end + 64);
  const k = lease.kernels;
  const memory = k.memory;
  for (const at of [input, hOut, vOut, spare]) memory.fill(0, at - guard, at);
  memory.set(raw, input);
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

  let flattened = channels === 3 ? height : 0;
  let hDone = 0;
  let vDone = 0;
  const render = (rows: number): void => {
    rows = Math.min(rows, outHeight);
    const need = v ? (rows === 0 ? 0 : Math.min(height, v.start[rows - 1]! + v.count)) : rows;
    if (flattened < need) {
      k.flatten(input + flattened * width * 4, input + flattened * inRow, (need - flattened) * width);
      flattened = need;
    }
    if (h && hDone < need) {
      let wp = hWeights;
      for (const [from, to] of hSpans) {
        const bytes = (to - from) * 3;
        k.horizontal[h.count]!(hOut + hDone * hStride + from * 3, input + hDone * inRow + h.start[from]! * 3, bytes, need - hDone, hStride, inRow, wp);
        wp += Math.ceil(bytes / 8) * h.count * 32;
      }
      hDone = need;
    }
    const src = h ? hOut : input;
    const srcStride = h ? hStride : inRow;
    for (; v && vDone < rows; vDone++) {
      k.vertical[v.count]!(vOut + vDone * outRow, src + v.start[vDone]! * srcStride, outRow, srcStride, vWeights + vDone * v.count * 16);
    }
  };
  return {
    kernels: k,
    width: outWidth,
    height: outHeight,
    render,
    pixels: vOut,
    stride: v ? outRow : h ? hStride : inRow,
    spare,
    release: lease.release,
  };
}

/** The canvas as packed RGB rows in a Buffer of its own (for encoders outside kernel memory). */
export function canvasRgb(c: Canvas): Buffer {
  c.render(c.height);
  const row = c.width * 3;
  const out = Buffer.allocUnsafe(row * c.height);
  for (let y = 0; y < c.height; y++) out.set(c.kernels.memory.subarray(c.pixels + y * c.stride, c.pixels + y * c.stride + row), y * row);
  return out;
}
