/**
 * The per-pixel loops of image preparation (flatten, resample, PNG filter, Adler-32) as WebAssembly
 * SIMD, assembled (wasmAssembler.ts) when first used. JavaScript ran these loops 5–10× slower (a
 * 12 MP resample pass took ~280 ms in JS, ~30 ms here) and Node has no native helper for them;
 * emitting the module from this source keeps the repository free of binaries and build steps.
 */

import {
  type Code,
  type Func,
  add,
  and,
  assemble,
  bitselect,
  get,
  geU,
  i16x8add,
  i16x8hi,
  i16x8lo,
  i16x8mul,
  i16x8narrow,
  i16x8shrU,
  i16x8splat,
  i16x8sub,
  i16x8sumPairs,
  I32,
  i32,
  i32x4add,
  i32x4allTrue,
  i32x4dot,
  i32x4eq,
  i32x4hi,
  i32x4lo,
  i32x4mul,
  i32x4shrS,
  i32x4splat,
  i32x4sumPairs,
  ifElse,
  lane,
  load8u,
  load8x8u,
  ltU,
  mul,
  or,
  range,
  remU,
  select,
  set,
  shl,
  shrU,
  shuffle,
  store64,
  store8,
  sub,
  u8x16addSat,
  u8x16ge,
  u8x16le,
  u8x16max,
  u8x16min,
  u8x16narrow,
  u8x16sub,
  V128,
  v128const,
  v128load,
  v128store,
  vand,
  vxor,
  whileLoop,
} from './wasmAssembler';

/** Pillow's fixed-point precision for 8-bit resampling (32 - 8 - 2 bits). */
export const PRECISION_BITS = 22;
/** Resampling kernels exist for 1 to MAX_TAPS taps (Catmull-Rom takes 4 to upscale, up to 6 to shrink by ≤ 1.25×). */
export const MAX_TAPS = 7;

const HALF = i32x4splat(i32(1 << (PRECISION_BITS - 1)));
/** Pillow's clip8: >> PRECISION_BITS, then clamp to 0..255 (the two saturating narrows). */
const roundStore = (addr: Code, lo: Code, hi: Code, junk: Code): Code =>
  store64(addr, u8x16narrow(i16x8narrow(i32x4shrS(lo, i32(PRECISION_BITS)), i32x4shrS(hi, i32(PRECISION_BITS))), junk));

/**
 * vK(dst, src, n, stride, w): one output row of a vertical pass, n bytes, 8 per step:
 * dst[i] = clip8(Σt w[t]·src[i + t·stride]). w: K i32x4 splats (16 bytes each), read once.
 */
function verticalPass(K: number): Func {
  const [dst, src, n, stride, w, end] = [0, 1, 2, 3, 4, 5];
  const row = (t: number) => 6 + t;
  const [lo, hi, px] = [6 + K, 7 + K, 8 + K];
  const weight = (t: number) => 9 + K + t;
  return {
    name: `v${K}`, params: 5, locals: [[1 + K, I32], [3 + K, V128]],
    body: [
      ...range(K).flatMap((t) => set(weight(t), v128load(get(w), 16 * t))),
      ...range(K).flatMap((t) => set(row(t), t === 0 ? get(src) : add(get(row(t - 1)), get(stride)))),
      ...set(end, add(get(dst), get(n))),
      ...whileLoop(ltU(get(dst), get(end)),
        set(lo, HALF), set(hi, HALF),
        ...range(K).map((t) => [
          ...set(px, load8x8u(get(row(t)))),
          ...set(lo, i32x4add(get(lo), i32x4mul(i32x4lo(get(px)), get(weight(t))))),
          ...set(hi, i32x4add(get(hi), i32x4mul(i32x4hi(get(px)), get(weight(t))))),
          ...set(row(t), add(get(row(t)), i32(8))),
        ]),
        roundStore(get(dst), get(lo), get(hi), get(px)),
        set(dst, add(get(dst), i32(8)))),
    ],
  };
}

/**
 * hK(dst, src, n, rows, dstStride, srcStride, w): one span of a horizontal pass over every row. In a
 * span each output byte i reads src[i + 3t] (t < K): its source window moves in step with it, so 8
 * outputs are computed at once. w: per 8 outputs, K × 8 i32 weights (one per output byte).
 */
function horizontalPass(K: number): Func {
  const [dst, src, n, rows, dstStride, srcStride, w, d, s, wp, end] = range(11);
  const [lo, hi, px] = [11, 12, 13];
  return {
    name: `h${K}`, params: 7, locals: [[4, I32], [3, V128]],
    body: whileLoop(get(rows),
      set(d, get(dst)), set(s, get(src)), set(wp, get(w)), set(end, add(get(dst), get(n))),
      whileLoop(ltU(get(d), get(end)),
        set(lo, HALF), set(hi, HALF),
        ...range(K).map((t) => [
          ...set(px, load8x8u(get(s), 3 * t)),
          ...set(lo, i32x4add(get(lo), i32x4mul(i32x4lo(get(px)), v128load(get(wp), 32 * t)))),
          ...set(hi, i32x4add(get(hi), i32x4mul(i32x4hi(get(px)), v128load(get(wp), 32 * t + 16)))),
        ]),
        roundStore(get(d), get(lo), get(hi), get(px)),
        set(d, add(get(d), i32(8))), set(s, add(get(s), i32(8))), set(wp, add(get(wp), i32(32 * K)))),
      set(dst, add(get(dst), get(dstStride))), set(src, add(get(src), get(srcStride))), set(rows, sub(get(rows), i32(1)))),
  };
}

/**
 * flatten(src, dst, pixels): RGBA → RGB over white, 4 pixels per step (reads 16 bytes, writes 12 + 4
 * scratch), so it may run in place (dst ≤ src). libvips' rounding: floor((c·a + 255·(255 − a)) / 255),
 * computed in u16 lanes as (N + 1 + ((N + 1) >> 8)) >> 8, equal to floor(N / 255) for all N ≤ 255².
 * Four opaque pixels (most of most images) are only repacked.
 */
function flatten(): Func {
  const [src, dst, pixels, c, a, x] = [0, 1, 2, 3, 4, 5];
  const rgb = [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0, 0, 0, 0];
  const alpha = [3, 3, 3, 7, 7, 7, 11, 11, 11, 15, 15, 15, 3, 3, 3, 3];
  const alphaMask = v128const(range(16).map((i) => (i % 4 === 3 ? 255 : 0)));
  const c255 = i16x8splat(i32(255));
  const over = (cv: Code, av: Code): Code => {
    const n1 = i16x8add(i16x8add(i16x8mul(cv, av), i16x8mul(c255, i16x8sub(c255, av))), i16x8splat(i32(1)));
    return i16x8shrU(i16x8add(n1, i16x8shrU(n1, i32(8))), i32(8));
  };
  return {
    name: 'flatten', params: 3, locals: [[3, V128]],
    body: whileLoop(get(pixels),
      set(x, v128load(get(src))),
      set(c, shuffle(get(x), get(x), rgb)),
      ifElse(i32x4allTrue(i32x4eq(vand(get(x), alphaMask), alphaMask)),
        [v128store(get(dst), get(c))],
        [set(a, shuffle(get(x), get(x), alpha)),
          v128store(get(dst), u8x16narrow(over(i16x8lo(get(c)), i16x8lo(get(a))), over(i16x8hi(get(c)), i16x8hi(get(a)))))]),
      set(src, add(get(src), i32(16))), set(dst, add(get(dst), i32(12))),
      set(pixels, select(sub(get(pixels), i32(4)), i32(0), geU(get(pixels), i32(4))))),
  };
}

/**
 * paeth(dst, src, rowBytes, rows, stride): PNG filter type 4 for 3-byte pixels, 16 bytes per step.
 * Each output row is its filter byte then the row; src rows are `stride` apart and must have a zero
 * row (plus 3 bytes) before them, standing in for the row above the first. In u8 lanes, as libpng's
 * SIMD filters do: pa = |b − c|, pb = |a − c|, and pc = |(b − c) + (a − c)| is pa + pb when the two
 * differences have the same sign (saturating at 255 changes no comparison), |pa − pb| otherwise.
 * The first pixel of a row has no left neighbour, so Paeth predicts it from the byte above; the
 * vector loop reads the previous row's tail there and those 3 bytes are redone.
 */
function paeth(): Func {
  const [dst, src, rowBytes, rows, stride, up, cur, d, end] = range(9);
  const [a, b, c, pa, pb, pc] = range(6).map((i) => 9 + i);
  const absDiff = (x: Code, y: Code): Code => u8x16sub(u8x16max(x, y), u8x16min(x, y));
  const predicted = bitselect(
    get(a),
    bitselect(get(b), get(c), u8x16le(get(pb), get(pc))),
    vand(u8x16le(get(pa), get(pb)), u8x16le(get(pa), get(pc))),
  );
  const firstPixel = range(3).map((k) => store8(get(dst), sub(load8u(get(src), k), load8u(sub(get(src), get(stride)), k)), 1 + k));
  return {
    name: 'paeth', params: 5, locals: [[4, I32], [6, V128]],
    body: whileLoop(get(rows),
      store8(get(dst), i32(4)),
      set(up, sub(sub(get(src), get(stride)), i32(3))), set(cur, sub(get(src), i32(3))),
      set(d, add(get(dst), i32(1))), set(end, add(get(d), get(rowBytes))),
      whileLoop(ltU(get(d), get(end)),
        set(a, v128load(get(cur))), set(b, v128load(get(up), 3)), set(c, v128load(get(up))),
        set(pa, absDiff(get(b), get(c))), set(pb, absDiff(get(a), get(c))),
        set(pc, bitselect(u8x16addSat(get(pa), get(pb)), absDiff(get(pa), get(pb)), vxor(u8x16ge(get(b), get(c)), u8x16ge(get(c), get(a))))),
        v128store(get(d), u8x16sub(v128load(get(cur), 3), predicted)),
        set(up, add(get(up), i32(16))), set(cur, add(get(cur), i32(16))), set(d, add(get(d), i32(16)))),
      ...firstPixel,
      set(dst, add(add(get(dst), get(rowBytes)), i32(1))), set(src, add(get(src), get(stride))), set(rows, sub(get(rows), i32(1)))),
  };
}

/**
 * adler32(ptr, len, value): zlib's checksum continued from `value` (1 to start), 16 bytes per step
 * in blocks of ≤ 5552 bytes (zlib's NMAX: no 32-bit overflow before the modulo). Per block of n bytes starting from (a, b):
 * b += n·a + 16·Σ(running byte sums before each step) + Σ(byte · (16 − position in its step)).
 */
function adler32(): Func {
  // `a` is the third parameter: it arrives holding the whole previous value.
  const [ptr, len, a, b, steps, k] = range(6);
  const [sums, prefix, weighted, x] = [6, 7, 8, 9];
  const MOD = 65521;
  const hsum = (v: Code): Code => add(add(lane(v, 0), lane(v, 1)), add(lane(v, 2), lane(v, 3)));
  const i16 = (values: number[]): number[] => values.flatMap((v) => [v & 0xff, v >> 8]);
  const available = shrU(get(len), i32(4));
  return {
    name: 'adler32', params: 3, result: true, locals: [[3, I32], [4, V128]],
    body: [
      ...set(b, shrU(get(a), i32(16))), ...set(a, and(get(a), i32(0xffff))),
      ...whileLoop(geU(get(len), i32(16)),
        set(steps, select(i32(347), available, ltU(i32(347), available))),
        set(sums, v128const(Array(16).fill(0))), set(prefix, get(sums)), set(weighted, get(sums)),
        set(k, get(steps)),
        whileLoop(get(k),
          set(x, v128load(get(ptr))),
          set(prefix, i32x4add(get(prefix), get(sums))),
          set(sums, i32x4add(get(sums), i32x4sumPairs(i16x8sumPairs(get(x))))),
          set(weighted, i32x4add(get(weighted), i32x4add(
            i32x4dot(i16x8lo(get(x)), v128const(i16([16, 15, 14, 13, 12, 11, 10, 9]))),
            i32x4dot(i16x8hi(get(x)), v128const(i16([8, 7, 6, 5, 4, 3, 2, 1])))))),
          set(ptr, add(get(ptr), i32(16))), set(k, sub(get(k), i32(1)))),
        set(b, remU(add(add(get(b), mul(shl(get(steps), i32(4)), get(a))),
          add(mul(remU(hsum(get(prefix)), i32(MOD)), i32(16)), hsum(get(weighted)))), i32(MOD))),
        set(a, remU(add(get(a), hsum(get(sums))), i32(MOD))),
        set(len, sub(get(len), shl(get(steps), i32(4))))),
      ...whileLoop(get(len),
        set(a, add(get(a), load8u(get(ptr)))), set(b, add(get(b), get(a))),
        set(ptr, add(get(ptr), i32(1))), set(len, sub(get(len), i32(1)))),
      ...or(remU(get(a), i32(MOD)), shl(remU(get(b), i32(MOD)), i32(16))),
    ],
  };
}

// ---- loading ----

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
// ES2022's lib (this project's) does not declare WebAssembly; Node has had it, with SIMD, since 16.4.
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

type Pass = (...args: number[]) => void;

export interface PixelKernels {
  /** The kernels' memory; its contents are whatever the last user left (zero only when new). */
  readonly memory: Uint8Array;
  flatten(src: number, dst: number, pixels: number): void;
  /** Vertical pass with K taps: vertical[K](dst, src, n, stride, weights). */
  readonly vertical: Pass[];
  /** Horizontal span with K taps: horizontal[K](dst, src, n, rows, dstStride, srcStride, weights). */
  readonly horizontal: Pass[];
  paeth(dst: number, src: number, rowBytes: number, rows: number, stride: number): void;
  adler32(ptr: number, len: number, value: number): number;
}

interface Instance {
  memory: WasmMemory;
  kernels: PixelKernels;
}

let compiled: object | undefined;
let idle: Instance | undefined;
let idleTimer: NodeJS.Timeout | undefined;

/**
 * Kept this long after use: a 12 MP RGBA image needs ~65 MB of kernel memory, and touching fresh
 * pages cost ~20–40 ms a time on this machine (more than the flatten pass itself); reusing one warm
 * memory across a burst of images avoids that, then lets it go.
 */
const KEEP_IDLE_MS = 15_000;

function instantiate(bytes: number): Instance {
  compiled ??= new wasm.Module(
    assemble([
      flatten(), paeth(), adler32(),
      ...range(MAX_TAPS).map((k) => verticalPass(k + 1)),
      ...range(MAX_TAPS).map((k) => horizontalPass(k + 1)),
    ]),
  );
  const memory = new wasm.Memory({ initial: Math.ceil(bytes / 65536) });
  const e = new wasm.Instance(compiled, { env: { memory } }).exports as Record<string, (...args: number[]) => number>;
  const taps = (prefix: string): Pass[] => [() => undefined, ...range(MAX_TAPS).map((k) => e[`${prefix}${k + 1}`]!)];
  let view = new Uint8Array(memory.buffer);
  const kernels: PixelKernels = {
    get memory() {
      // Growing the memory replaces its buffer.
      if (view.buffer !== memory.buffer) view = new Uint8Array(memory.buffer);
      return view;
    },
    flatten: e.flatten!,
    vertical: taps('v'),
    horizontal: taps('h'),
    paeth: e.paeth!,
    adler32: (ptr, len, value) => e.adler32!(ptr, len, value) >>> 0,
  };
  return { memory, kernels };
}

function grow(instance: Instance, bytes: number): void {
  const have = instance.memory.buffer.byteLength;
  if (have < bytes) instance.memory.grow(Math.ceil((bytes - have) / 65536));
}

/**
 * Kernels with at least `bytes` of memory, for one image at a time: call release() when nothing
 * reads the memory any more (deflate included). Concurrent users get instances of their own. `fresh`:
 * some of the memory has never been touched (a new instance, or grown).
 */
export function leaseKernels(bytes: number): { kernels: PixelKernels; fresh: boolean; reserve(bytes: number): void; release(): void } {
  let instance = idle;
  idle = undefined;
  clearTimeout(idleTimer);
  const fresh = !instance || instance.memory.buffer.byteLength < bytes;
  if (instance && instance.memory.buffer.byteLength < bytes) {
    try {
      grow(instance, bytes);
    } catch {
      instance = undefined; // over the engine's limit for one memory: a fresh one may still fit
    }
  }
  instance ??= instantiate(bytes);
  const leased = instance;
  let released = false;
  return {
    kernels: leased.kernels,
    fresh,
    /** Grows the memory to `bytes` if smaller: only while no view of it is in use elsewhere. */
    reserve: (more) => grow(leased, more),
    release() {
      if (released) return;
      released = true;
      idle = leased;
      idleTimer = setTimeout(() => (idle = undefined), KEEP_IDLE_MS);
      idleTimer.unref();
    },
  };
}
