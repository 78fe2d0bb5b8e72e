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
  /** Copies decoded rows (8-bit RGB or RGBA, the same for every call) in, starting at `firstRow`. */
  load(rows: Uint8Array, channels: number, firstRow: number): void;
  /** Input rows loaded so far (from the top, without gaps). */
  readonly loaded: number;
  /** Set by the producer while rows are still being decoded: settles once they are loaded (or failed). */
  pending?: Promise<void>;
  /** Waits until output rows [0, rows) can be rendered. */
  ready(rows: number): Promise<void>;
  /** Input rows that output rows [0, rows) read. */
  needs(rows: number): number;
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
  const weights = new Int32Array(outSize * count);
  for (let x = 0; x < outSize; x++) {
    const s = Math.min(mins[x]!, inSize - count);
    start[x] = s;
    for (let i = 0; i < sizes[x]!; i++) weights[x * count + mins[x]! - s + i] = fixedWeights[x * window + i]!;
  }
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
 * A canvas that resamples width × height decoded pixels to outWidth × outHeight. Everything that does
 * not need the pixels (coefficients, memory, weights) is done here, so it can overlap the decode.
 * Each stage has its own region (a band of a later stage must not overwrite rows an earlier one still
 * needs), each behind a zero guard row.
 */
export function createCanvas(width: number, height: number, outWidth: number, outHeight: number): Canvas {
  const h = width !== outWidth ? taps(width, outWidth) : undefined;
  const v = height !== outHeight ? taps(height, outHeight) : undefined;
  const hSpans = h ? spans(h, outWidth) : [];
  const inRow = width * 3;
  const outRow = outWidth * 3;
  // The horizontal pass writes 8 bytes at a time past each span's end: its rows get 16 spare bytes.
  const hStride = align(outRow + 16);
  const guard = align(Math.max(width * 4, hStride) + 32);

  let end = 0;
  const region = (bytes: number): number => {
    const at = end + guard;
    end = at + align(bytes + 64);
    return at;
  };
  const input = region(width * height * 4);
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
  // New pages are faulted in now, while the image decodes, rather than by the first pass over them.
  if (lease.fresh) for (let i = 0; i < end; i += 4096) memory[i] = 0;
  for (const at of [input, hOut, vOut, spare]) memory.fill(0, at - guard, at);
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
  let loaded = 0;
  const load = (rows: Uint8Array, c: number, firstRow: number): void => {
    const count = rows.length / (width * c);
    if ((c !== 3 && c !== 4) || (channels !== 0 && c !== channels) || firstRow !== loaded || !Number.isInteger(count) || loaded + count > height) {
      throw new Error(`internal: ${rows.length} bytes at row ${firstRow} for ${width}×${height}×${c} (${loaded} rows of ${channels || c} channels loaded)`);
    }
    channels = c;
    k.memory.set(rows, input + firstRow * width * c);
    loaded += count;
  };
  const needs = (rows: number): number => {
    rows = Math.min(rows, outHeight);
    return v ? (rows === 0 ? 0 : Math.min(height, v.start[rows - 1]! + v.count)) : rows;
  };

  let flattened = 0;
  let hDone = 0;
  let vDone = 0;
  const render = (rows: number): void => {
    rows = Math.min(rows, outHeight);
    const need = needs(rows);
    if (need > loaded) throw new Error(`internal: rendering ${rows} rows needs ${need} input rows, ${loaded} loaded`);
    if (channels === 3) flattened = need;
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
  const c: Canvas = {
    kernels: k,
    width: outWidth,
    height: outHeight,
    load,
    get loaded() {
      return loaded;
    },
    needs,
    async ready(rows) {
      if (needs(rows) <= loaded) return;
      await c.pending;
      if (needs(rows) > loaded) throw new Error(`internal: ${needs(rows)} input rows needed, ${loaded} loaded and no more coming`);
    },
    render,
    pixels: vOut,
    stride: v ? outRow : h ? hStride : inRow,
    spare,
    release: lease.release,
  };
  return c;
}

/** The canvas as packed RGB rows in a Buffer of its own (for encoders outside kernel memory). */
export async function canvasRgb(c: Canvas): Promise<Buffer> {
  await c.ready(c.height);
  c.render(c.height);
  const row = c.width * 3;
  const out = Buffer.allocUnsafe(row * c.height);
  for (let y = 0; y < c.height; y++) out.set(c.kernels.memory.subarray(c.pixels + y * c.stride, c.pixels + y * c.stride + row), y * row);
  return out;
}
