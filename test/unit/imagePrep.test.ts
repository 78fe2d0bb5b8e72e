import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { ImageError, type PreparedImage, prepareImage, prepareImageBuffer } from '../../server/image/imagePrep';
import { sniffImage } from '../../server/image/imageSniff';
import { imageTokens, smartResize } from '../../server/image/smartResize';

// Fixtures are made here with sharp (or by hand where sharp cannot write the format), so the
// repository carries no binaries and every fixture's provenance is in this file.
const dir = mkdtempSync(join(tmpdir(), 'virgo-imageprep-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fixture(name: string, data: Buffer | string): string {
  const file = join(dir, name);
  writeFileSync(file, data);
  return file;
}

/** Deterministic noise, so encoders cannot shrink the fixture to nothing. */
function noise(width: number, height: number, channels: 3 | 4 = 3): Sharp {
  const data = Buffer.alloc(width * height * channels);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return sharp(data, { raw: { width, height, channels } });
}

async function pixel(data: Buffer, x: number, y: number): Promise<number[]> {
  const { data: raw, info } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
  const o = (y * info.width + x) * info.channels;
  return [...raw.subarray(o, o + info.channels)];
}

/** The output is always 8-bit 3-channel sRGB at exactly the smart_resize size of the oriented size. */
async function assertPrepared(p: PreparedImage, width: number, height: number, source: string): Promise<void> {
  const sent = smartResize(height, width);
  assert.equal(p.sourceFormat, source);
  assert.deepEqual([p.width, p.height], [width, height], 'oriented size');
  assert.deepEqual([p.sentWidth, p.sentHeight], [sent.width, sent.height], 'sent size');
  assert.equal(p.imageTokens, imageTokens(sent.width, sent.height));
  assert.equal(p.bytes, p.data.length);
  const meta = await sharp(p.data).metadata();
  assert.equal(meta.format, p.mime === 'image/png' ? 'png' : 'jpeg');
  assert.equal(meta.channels, 3);
  assert.equal(meta.depth, 'uchar');
  assert.equal(meta.space, 'srgb');
  assert.equal(meta.hasAlpha, false);
  assert.deepEqual([meta.width, meta.height], [sent.width, sent.height]);
  assert.ok(p.dataUrl().startsWith(`data:${p.mime};base64,`));
  assert.deepEqual(Buffer.from(p.dataUrl().split(',')[1]!, 'base64'), p.data);
}

async function refusal(promise: Promise<unknown>, code: string, name: string): Promise<ImageError> {
  const err = await promise.then(
    () => assert.fail(`expected a '${code}' refusal`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ImageError, String(err));
  assert.equal(err.code, code, err.message);
  assert.ok(err.message.includes(name), `message names the file: ${err.message}`);
  return err;
}

// ---- hand-made PNG and BMP ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}
/** A valid-looking PNG whose IHDR declares any size, with a few bytes of real IDAT. */
function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(4096))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

type Rgba = [number, number, number, number];
interface BmpSpec {
  width: number;
  height: number;
  bpp: 1 | 4 | 8 | 16 | 24 | 32;
  topDown?: boolean;
  /** For bpp ≤ 8: the palette, and each pixel's index. */
  palette?: Rgba[];
  index?: (x: number, y: number) => number;
  /** For bpp ≥ 16. */
  color?: (x: number, y: number) => Rgba;
  /** 32-bit only: BI_BITFIELDS with an alpha mask in a V5 header. */
  alpha?: boolean;
  compression?: number;
}
function makeBmp(spec: BmpSpec): Buffer {
  const { width, height, bpp } = spec;
  const headerSize = spec.alpha ? 124 : 40;
  const palette = spec.palette ?? [];
  const paletteBytes = palette.length * 4;
  const offset = 14 + headerSize + paletteBytes;
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const buf = Buffer.alloc(offset + stride * height);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(headerSize, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(spec.topDown ? -height : height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(bpp, 28);
  buf.writeUInt32LE(spec.compression ?? (spec.alpha ? 3 : 0), 30);
  buf.writeUInt32LE(palette.length, 46);
  if (spec.alpha) [0xff0000, 0xff00, 0xff, 0xff000000].forEach((m, i) => buf.writeUInt32LE(m >>> 0, 54 + i * 4));
  palette.forEach(([r, g, b], i) => buf.set([b, g, r, 0], 14 + headerSize + i * 4));
  for (let y = 0; y < height; y++) {
    const row = offset + (spec.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      if (bpp <= 8) {
        const bit = x * bpp;
        buf[row + (bit >> 3)]! |= spec.index!(x, y) << (8 - bpp - (bit & 7));
        continue;
      }
      const [r, g, b, a] = spec.color!(x, y);
      if (bpp === 16) buf.writeUInt16LE(((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3), row + x * 2);
      else if (bpp === 24) buf.set([b, g, r], row + x * 3);
      else buf.set([b, g, r, spec.alpha ? a : 0], row + x * 4);
    }
  }
  return buf;
}

// 56×84 needs no resizing (both multiples of 28, area ≥ min_pixels), so pixels can be compared exactly.
const W = 56;
const H = 84;
const pattern = (x: number, y: number): Rgba => [x * 4, y * 3, (x * 7 + y * 5) & 0xf8, 255];

async function assertPixels(p: PreparedImage, expected: (x: number, y: number) => number[]): Promise<void> {
  const { data, info } = await sharp(p.data).raw().toBuffer({ resolveWithObject: true });
  for (const [x, y] of [[0, 0], [1, 0], [7, 3], [W - 1, 0], [0, H - 1], [W - 1, H - 1], [30, 41]] as const) {
    const o = (y * info.width + x) * 3;
    assert.deepEqual([...data.subarray(o, o + 3)], expected(x, y).slice(0, 3), `pixel ${x},${y}`);
  }
}

// ---- formats ----

test('PNG, JPEG, WebP and TIFF come out as 8-bit RGB at the smart_resize size', async () => {
  const sources: Array<[string, Buffer]> = [
    ['png', await noise(300, 200).png().toBuffer()],
    ['jpeg', await noise(300, 200).jpeg().toBuffer()],
    ['webp', await noise(300, 200).webp().toBuffer()],
    ['tiff', await noise(300, 200).tiff().toBuffer()],
  ];
  for (const [format, data] of sources) {
    const p = await prepareImage(fixture(`plain.${format}`, data));
    await assertPrepared(p, 300, 200, format);
    assert.equal(p.mime, format === 'jpeg' ? 'image/jpeg' : 'image/png', format);
  }
});

test('a JPEG source is sent as whichever of JPEG q95 and PNG is smaller; large ones as JPEG', async () => {
  const photo = await prepareImageBuffer(await noise(300, 200).jpeg().toBuffer(), 'photo.jpg');
  assert.equal(photo.mime, 'image/jpeg');
  const large = await prepareImageBuffer(await noise(1400, 1000).jpeg().toBuffer(), 'large.jpg');
  await assertPrepared(large, 1400, 1000, 'jpeg');
  assert.equal(large.mime, 'image/jpeg');
  // At 56×56 JPEG's fixed tables (~600 bytes) outweigh a flat PNG.
  const flat = await sharp({ create: { width: W, height: W, channels: 3, background: '#3060a0' } }).jpeg().toBuffer();
  const icon = await prepareImageBuffer(flat, 'icon.jpg');
  assert.equal(icon.mime, 'image/png');
  await assertPrepared(icon, W, W, 'jpeg');
});

test('animated GIF: only the first frame, at the logical screen size', async () => {
  const frame = (rgb: number[]): Buffer => Buffer.from(Array.from({ length: 60 * 40 }, () => rgb).flat());
  const frames = Buffer.concat([frame([255, 0, 0]), frame([0, 255, 0]), frame([0, 0, 255])]);
  const gif = await sharp(frames, { raw: { width: 60, height: 120, channels: 3, pageHeight: 40 } }).gif().toBuffer();
  assert.equal((await sharp(gif).metadata()).pages, 3);
  const p = await prepareImage(fixture('anim.gif', gif));
  await assertPrepared(p, 60, 40, 'gif');
  assert.deepEqual(await pixel(p.data, 10, 10), [255, 0, 0]);
});

test('BMP: 24-bit bottom-up, 24-bit top-down, 16-bit, 32-bit decode pixel-exact', async () => {
  const five = (v: number): number => Math.round(((v >> 3) * 255) / 31);
  const cases: Array<[string, BmpSpec, (x: number, y: number) => number[]]> = [
    ['24.bmp', { width: W, height: H, bpp: 24, color: pattern }, pattern],
    ['24td.bmp', { width: W, height: H, bpp: 24, topDown: true, color: pattern }, pattern],
    ['32.bmp', { width: W, height: H, bpp: 32, color: pattern }, pattern],
    ['16.bmp', { width: W, height: H, bpp: 16, color: pattern }, (x, y) => pattern(x, y).map(five)],
  ];
  for (const [name, spec, expected] of cases) {
    const p = await prepareImage(fixture(name, makeBmp(spec)));
    await assertPrepared(p, W, H, 'bmp');
    assert.equal(p.mime, 'image/png');
    await assertPixels(p, expected);
  }
});

test('BMP: 8-bit, 4-bit and 1-bit palettes', async () => {
  const palette: Rgba[] = Array.from({ length: 256 }, (_, i) => [i, 255 - i, (i * 3) & 255, 0]);
  for (const bpp of [8, 4, 1] as const) {
    const colors = palette.slice(0, 1 << bpp);
    const index = (x: number, y: number): number => (x * 3 + y) % colors.length;
    const p = await prepareImage(fixture(`pal${bpp}.bmp`, makeBmp({ width: W, height: H, bpp, palette: colors, index })));
    await assertPrepared(p, W, H, 'bmp');
    await assertPixels(p, (x, y) => colors[index(x, y)]!);
  }
});

test('BMP: 32-bit with an alpha mask is flattened onto white', async () => {
  const color = (x: number): Rgba => (x < W / 2 ? [255, 0, 0, 0] : [0, 0, 255, 255]);
  const p = await prepareImageBuffer(makeBmp({ width: W, height: H, bpp: 32, alpha: true, color }), 'alpha.bmp');
  await assertPrepared(p, W, H, 'bmp');
  assert.deepEqual(await pixel(p.data, 2, 2), [255, 255, 255]);
  assert.deepEqual(await pixel(p.data, W - 2, 2), [0, 0, 255]);
});

test('EXIF orientation 6 is applied: width and height swap and the content turns', async () => {
  // Left half black, right half white; orientation 6 turns it 90° clockwise for display.
  const raw = Buffer.alloc(300 * 200 * 3);
  for (let y = 0; y < 200; y++) raw.fill(255, (y * 300 + 150) * 3, (y * 300 + 300) * 3);
  const jpeg = await sharp(raw, { raw: { width: 300, height: 200, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  assert.equal((await sharp(jpeg).metadata()).orientation, 6);
  const p = await prepareImage(fixture('rotated.jpg', jpeg));
  await assertPrepared(p, 200, 300, 'jpeg');
  const [top] = await pixel(p.data, 100, 20);
  const [bottom] = await pixel(p.data, 100, 280);
  assert.ok(top! < 30 && bottom! > 225, `top ${top}, bottom ${bottom}`);
});

test('CMYK JPEG, 16-bit PNG, greyscale, palette PNG become 8-bit sRGB', async () => {
  const sources: Array<[string, Buffer, string, (m: Metadata) => boolean]> = [
    ['cmyk.jpg', await noise(300, 200).toColourspace('cmyk').jpeg().toBuffer(), 'jpeg', (m) => m.space === 'cmyk'],
    ['deep.png', await noise(300, 200).toColourspace('rgb16').png().toBuffer(), 'png', (m) => m.depth === 'ushort'],
    ['grey.png', await noise(300, 200).toColourspace('b-w').png().toBuffer(), 'png', (m) => m.channels === 1],
    ['grey.jpg', await noise(300, 200).toColourspace('b-w').jpeg().toBuffer(), 'jpeg', (m) => m.channels === 1],
    ['palette.png', await noise(300, 200).png({ palette: true }).toBuffer(), 'png', (m) => m.isPalette === true],
  ];
  for (const [name, data, format, isWhatWeMeant] of sources) {
    assert.ok(isWhatWeMeant(await sharp(data).metadata()), `fixture ${name} is what the test means`);
    await assertPrepared(await prepareImage(fixture(name, data)), 300, 200, format);
  }
});

test('RGBA PNG: transparency is flattened onto white', async () => {
  const rgba = Buffer.alloc(W * H * 4);
  for (let i = 0; i < W * H; i++) rgba.set(i % W < W / 2 ? [255, 0, 0, 0] : [0, 128, 0, 255], i * 4);
  const png = await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png().toBuffer();
  const p = await prepareImageBuffer(png, 'pasted image');
  await assertPrepared(p, W, H, 'png');
  assert.deepEqual(await pixel(p.data, 3, 3), [255, 255, 255]);
  assert.deepEqual(await pixel(p.data, W - 3, 3), [0, 128, 0]);
});

test('minPixels and maxPixels options change the sent size', async () => {
  const p = await prepareImageBuffer(await noise(300, 200).png().toBuffer(), 'x.png', { minPixels: 200704, maxPixels: 1003520 });
  const sent = smartResize(200, 300, 200704, 1003520);
  assert.deepEqual([p.sentWidth, p.sentHeight], [sent.width, sent.height]);
  assert.deepEqual([sent.width, sent.height], [560, 392]);
});

test('the header sniffer reads the size of every format without decoding', async () => {
  const bigEndianTiff = Buffer.from('4d4d002a00000008' + '0002' + '0100000300000001' + '02800000' + '0101000400000001' + '000001e0' + '00000000', 'hex');
  const sources: Array<[Buffer, string, number, number]> = [
    [await noise(301, 203).png().toBuffer(), 'png', 301, 203],
    [await noise(301, 203).jpeg().toBuffer(), 'jpeg', 301, 203],
    [await noise(301, 203).jpeg({ progressive: true }).withMetadata({ orientation: 6 }).toBuffer(), 'jpeg', 301, 203],
    [await noise(301, 203).webp().toBuffer(), 'webp', 301, 203],
    [await noise(301, 203).webp({ lossless: true }).toBuffer(), 'webp', 301, 203],
    [await noise(301, 203, 4).webp().toBuffer(), 'webp', 301, 203],
    [await noise(301, 203).gif().toBuffer(), 'gif', 301, 203],
    [await noise(301, 203).tiff().toBuffer(), 'tiff', 301, 203],
    [await noise(301, 203).tiff({ bigtiff: true }).toBuffer(), 'tiff', 301, 203],
    [bigEndianTiff, 'tiff', 640, 480],
    [makeBmp({ width: 301, height: 203, bpp: 24, topDown: true, color: pattern }), 'bmp', 301, 203],
  ];
  for (const [data, format, width, height] of sources) {
    assert.deepEqual(sniffImage(data), { kind: 'image', format, width, height });
  }
});

// ---- refusals ----

test('an empty file is refused as empty', async () => {
  const err = await refusal(prepareImage(fixture('figure.png', Buffer.alloc(0))), 'empty', 'figure.png');
  assert.match(err.message, /empty \(0 bytes\)/);
});

test('truncated files of every format are refused as truncated', async () => {
  const sources: Array<[string, Buffer]> = [
    ['half.png', await noise(300, 200).png().toBuffer()],
    ['half.jpg', await noise(300, 200).jpeg().toBuffer()],
    ['half.webp', await noise(300, 200).webp().toBuffer()],
    ['half.gif', await noise(300, 200).gif().toBuffer()],
    ['half.tif', await noise(300, 200).tiff().toBuffer()],
    ['half.bmp', makeBmp({ width: W, height: H, bpp: 24, color: pattern })],
  ];
  for (const [name, data] of sources) {
    await refusal(prepareImage(fixture(name, data.subarray(0, data.length >> 1))), 'truncated', name);
  }
  const png = sources[0]![1];
  await refusal(prepareImage(fixture('head.png', png.subarray(0, 20))), 'truncated', 'head.png');
});

test('unknown bytes are refused, naming the accepted formats', async () => {
  const err = await refusal(prepareImage(fixture('notes.png', 'just some text, not an image\n')), 'unknown-format', 'notes.png');
  assert.match(err.message, /PNG, JPEG, WebP, GIF, BMP or TIFF/);
});

test('SVG is refused with a way to rasterize it', async () => {
  const svgs = [
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
    '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!-- drawn by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n  <svg viewBox="0 0 1 1"></svg>',
  ];
  for (const [i, svg] of svgs.entries()) {
    const err = await refusal(prepareImage(fixture(`drawing${i}.png`, svg)), 'svg', `drawing${i}.png`);
    assert.match(err.message, /rsvg-convert/);
    assert.match(err.message, /export a PNG/);
  }
});

test('the extension is ignored: a JPEG named .png is read as JPEG', async () => {
  const p = await prepareImage(fixture('really-a-jpeg.png', await noise(300, 200).jpeg().toBuffer()));
  await assertPrepared(p, 300, 200, 'jpeg');
});

test('an aspect ratio over 200 is refused before decoding, with the ratio and advice to crop', async () => {
  const wide = await sharp({ create: { width: 30000, height: 10, channels: 3, background: '#ffffff' } }).png().toBuffer();
  const err = await refusal(prepareImage(fixture('strip.png', wide)), 'aspect-ratio', 'strip.png');
  assert.match(err.message, /3000:1/);
  assert.match(err.message, /30000×10/);
  assert.match(err.message, /[Cc]rop/);
});

test('a decompression bomb is refused from its header, quickly, without decoding', async () => {
  const bomb = pngDeclaring(100000, 100000);
  assert.ok(bomb.length < 200, `the bomb is ${bomb.length} bytes`);
  const started = process.hrtime.bigint();
  const err = await refusal(prepareImage(fixture('bomb.png', bomb)), 'too-many-pixels', 'bomb.png');
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 250, `refused in ${ms} ms`);
  // This wording comes only from the header check; sharp's own limit says something else.
  assert.match(err.message, /header declares 100000×100000 = 10,000,000,000 pixels/);
  assert.match(err.message, /200,000,000-pixel limit/);
});

test('maxDecodePixels applies to every format', async () => {
  const err = await refusal(prepareImageBuffer(await noise(300, 200).jpeg().toBuffer(), 'small.jpg', { maxDecodePixels: 50_000 }), 'too-many-pixels', 'small.jpg');
  assert.match(err.message, /50,000-pixel limit/);
});

test('compressed BMP variants are refused with a clear message', async () => {
  const rle = makeBmp({ width: W, height: H, bpp: 8, palette: [[0, 0, 0, 0]], index: () => 0, compression: 1 });
  const err = await refusal(prepareImage(fixture('rle.bmp', rle)), 'unreadable', 'rle.bmp');
  assert.match(err.message, /RLE8-compressed BMP, which is not supported/);
  assert.match(err.message, /PNG/);
});

test('a missing file is not-found; a folder is unreadable', async () => {
  await refusal(prepareImage(join(dir, 'nope.png')), 'not-found', 'nope.png');
  mkdirSync(join(dir, 'folder.png'));
  await refusal(prepareImage(join(dir, 'folder.png')), 'unreadable', 'folder.png');
});
