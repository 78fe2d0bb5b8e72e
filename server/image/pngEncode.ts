/**
 * A PNG writer for 8-bit RGB canvases, built for speed on large images: every row Paeth-filtered in
 * WebAssembly, the zlib stream deflated in bands on libuv's thread pool while the main thread
 * renders and filters the next band (each band ends on a sync flush, so the raw deflate parts simply
 * concatenate, as pigz does; an empty final block closes the stream), the Adler-32 kept along the
 * way. The result is an ordinary, lossless PNG.
 */

import * as zlib from 'node:zlib';
import type { Canvas } from './resample';

/**
 * Deflates one part on the thread pool, ending on a sync flush (byte-aligned, unfinished, so parts
 * concatenate), in a single thread-pool task: the sync flush is the stream's flush for every write,
 * and the output buffer is as big as the part can become. (zlib.deflateRaw() would compress in one
 * task and flush in a second one, dispatched only when the busy main thread next yields.)
 */
function deflatePart(data: Buffer, choice: DeflateChoice): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const stream = zlib.createDeflateRaw({
      level: choice.level,
      strategy: choice.strategy,
      memLevel: 9,
      flush: zlib.constants.Z_SYNC_FLUSH,
      chunkSize: Math.max(64 * 1024, data.length + (data.length >> 6) + 1024),
    });
    const out: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => out.push(chunk));
    stream.on('error', reject);
    stream.write(data, (err) => {
      stream.close();
      if (err) reject(err);
      else resolve(out.length === 1 ? out[0]! : Buffer.concat(out));
    });
  });
}

export interface DeflateChoice {
  level: number;
  strategy: number;
}

/**
 * How the filtered rows are deflated (`node out/bench/imagePrepare.js --png-table` compares them).
 * Node's zlib on the 4004×2996 benchmark image, 36 MB of filtered rows, CPU summed over the thread
 * pool: Z_RLE (runs of one byte; any level) ~130 ms, 8.90 MB; level 1 (LZ77) ~3× the CPU, 1 % bigger;
 * level 6 ~5× the CPU, 1.4 % smaller (libvips' level 6 with adaptive filters, used before: 8.87 MB).
 * On screenshots level 6 saves 10–15 %, on photos ~15 %, but costs up to 8× Z_RLE's time there.
 */
export function deflateChoice(filteredBytes: number): DeflateChoice {
  // Small images take a few ms either way: squeeze them. Large ones take the predictable, fast one.
  return filteredBytes <= SMALL_IMAGE_BYTES
    ? { level: 6, strategy: zlib.constants.Z_DEFAULT_STRATEGY }
    : { level: 1, strategy: zlib.constants.Z_RLE };
}

/** ~1 MP of RGB. */
const SMALL_IMAGE_BYTES = 3 * 1024 * 1024;
/**
 * Filtered rows go to the thread pool in bands of about this many bytes, each deflated while the next
 * is rendered and filtered: the deflate (the costliest stage) overlaps the pixel work.
 */
const BAND_BYTES = 2 * 1024 * 1024;
/** Bands held at once (filtered, waiting for or in their deflate): past this, filtering waits. */
const BAND_SLOTS = 6;

/** Encodes the canvas, rendering it strip by strip. The canvas's memory is read until this resolves. */
export async function encodePng(c: Canvas, choice: DeflateChoice = deflateChoice((c.width * 3 + 1) * c.height)): Promise<Buffer> {
  const rowBytes = c.width * 3;
  const row = rowBytes + 1;
  const bandRows = Math.max(1, Math.round(BAND_BYTES / row / c.stripRows)) * c.stripRows;
  const slots = Math.min(BAND_SLOTS, Math.ceil(c.height / bandRows));
  // 64 bytes between slots: the filter writes 16 bytes at a time past a band's end.
  const slotBytes = bandRows * row + 64;
  const scratch = c.scratch(slots * slotBytes);
  const inSlot: Array<Promise<unknown>> = [];
  // Each part is an IDAT chunk; its CRC is taken as soon as it is deflated, while others still run.
  const parts: Array<Promise<{ data: Buffer; crc: number }>> = [];
  let adler = 1;
  try {
    for (let y = 0, band = 0, rows = 0; y < c.height; y += rows, band++) {
      // Towards the end, smaller bands: the deflates still running when the last rows are filtered
      // are what the caller waits for, and small ones spread over both cores.
      rows = Math.min(bandRows, c.height - y, Math.max(c.stripRows, Math.ceil((c.height - y) / 4 / c.stripRows) * c.stripRows));
      const slot = scratch + (band % slots) * slotBytes;
      await inSlot[band % slots];
      for (let s = y; s < y + rows; s += c.stripRows) {
        const n = Math.min(c.stripRows, y + rows - s);
        const { at, stride } = c.strip(s, n);
        const into = slot + (s - y) * row;
        c.kernels.paeth(into, at, rowBytes, n, stride);
        adler = c.kernels.adler32(into, n * row, adler);
      }
      const before = band === 0 ? crc32(ZLIB_HEADER, crc32(IDAT)) : crc32(IDAT);
      const part = deflatePart(Buffer.from(c.kernels.memory.buffer, slot, rows * row), choice).then((data) => ({ data, crc: crc32(data, before) }));
      parts.push(part);
      inSlot[band % slots] = part.catch(() => undefined);
    }
  } finally {
    // Whatever happens, no deflate may still be reading the memory when the caller releases it.
    await Promise.allSettled(parts);
  }
  const deflated = await Promise.all(parts);

  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(c.width, 0);
  ihdr.writeUInt32BE(c.height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, adaptive filtering, no interlace
  // An empty final block with fixed codes (BFINAL 1, BTYPE 01, end-of-block), then the Adler-32.
  const trailer = Buffer.from([0x03, 0x00, 0, 0, 0, 0]);
  trailer.writeUInt32BE(adler, 2);
  const last = deflated.length - 1;

  const chunks: Array<{ type: Buffer; pieces: Buffer[]; crc: number }> = [
    { type: IHDR, pieces: [ihdr], crc: crc32(ihdr, crc32(IHDR)) },
    ...deflated.map(({ data, crc }, i) => ({
      type: IDAT,
      pieces: [...(i === 0 ? [ZLIB_HEADER] : []), data, ...(i === last ? [trailer] : [])],
      crc: i === last ? crc32(trailer, crc) : crc,
    })),
    { type: IEND, pieces: [], crc: crc32(IEND) },
  ];
  const length = (pieces: Buffer[]): number => pieces.reduce((n, p) => n + p.length, 0);
  const out = Buffer.allocUnsafe(chunks.reduce((n, ch) => n + 12 + length(ch.pieces), PNG_SIGNATURE.length));
  out.set(PNG_SIGNATURE, 0);
  let o = PNG_SIGNATURE.length;
  for (const { type, pieces, crc } of chunks) {
    out.writeUInt32BE(length(pieces), o);
    out.set(type, o + 4);
    o += 8;
    for (const p of pieces) {
      out.set(p, o);
      o += p.length;
    }
    out.writeUInt32BE(crc, o);
    o += 4;
  }
  return out;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IHDR = Buffer.from('IHDR', 'latin1');
const IDAT = Buffer.from('IDAT', 'latin1');
const IEND = Buffer.from('IEND', 'latin1');
/** CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (0x7801 % 31 = 0), at the start of the first IDAT. */
const ZLIB_HEADER = Buffer.from([0x78, 0x01]);

let crcTable: Int32Array | undefined;

/** zlib.crc32 arrived in Node 20.15; before that, the table-driven loop (only the ~10 MB of output). */
function crc32(data: Uint8Array, value = 0): number {
  const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (native) return native(data, value);
  crcTable ??= Int32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  let c = ~value;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
