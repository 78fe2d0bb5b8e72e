/**
 * Format and declared size straight from the first bytes, by hand, so that a decompression bomb or
 * an absurd aspect ratio is refused before any decoder allocates anything. Extensions are never
 * consulted: pasted images have none and renamed files lie.
 */

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'bmp' | 'tiff';

export type SniffResult =
  | { kind: 'image'; format: ImageFormat; width: number; height: number }
  /** Recognised, but the header ends before its size could be read. */
  | { kind: 'truncated'; format: ImageFormat }
  /** Recognised, but the header is inconsistent (zero size, no frame header, bad offsets). */
  | { kind: 'corrupt'; format: ImageFormat; reason: string }
  | { kind: 'svg' }
  | { kind: 'unknown' };

/** Thrown internally when a read would run past the end of the buffer. */
class OutOfData extends Error {}

function need(buf: Buffer, end: number): void {
  if (end > buf.length) throw new OutOfData();
}

export function sniffFormat(buf: Buffer): ImageFormat | 'svg' | null {
  const b = buf;
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  if (b.length >= 6 && (b.toString('latin1', 0, 6) === 'GIF87a' || b.toString('latin1', 0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (b.length >= 4) {
    const sig = b.readUInt32BE(0);
    // Classic TIFF (42) and BigTIFF (43), little- and big-endian.
    if (sig === 0x49492a00 || sig === 0x4d4d002a || sig === 0x49492b00 || sig === 0x4d4d002b) return 'tiff';
  }
  if (looksLikeSvg(buf)) return 'svg';
  return null;
}

/**
 * An SVG is text whose first element is <svg>, possibly after a BOM, an XML declaration, comments
 * and a doctype. Only the first 64 KiB are looked at: the root element comes before that.
 */
function looksLikeSvg(buf: Buffer): boolean {
  let s = buf.subarray(0, 65536).toString('utf8');
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  for (;;) {
    s = s.replace(/^\s+/, '');
    if (s.startsWith('<?')) {
      const end = s.indexOf('?>');
      if (end < 0) return false;
      s = s.slice(end + 2);
    } else if (s.startsWith('<!--')) {
      const end = s.indexOf('-->');
      if (end < 0) return false;
      s = s.slice(end + 3);
    } else if (/^<!DOCTYPE/i.test(s)) {
      // Doctypes may carry an internal subset in [...]; skip to the '>' that closes it.
      const bracket = s.indexOf('[');
      const close = s.indexOf('>');
      if (close < 0) return false;
      if (bracket >= 0 && bracket < close) {
        const endSubset = s.indexOf(']>', bracket);
        if (endSubset < 0) return false;
        s = s.slice(endSubset + 2);
      } else {
        s = s.slice(close + 1);
      }
    } else {
      return /^<svg[\s>/:]/i.test(s);
    }
  }
}

/** Identifies the bytes and reads the width and height the header declares, without decoding. */
export function sniffImage(buf: Buffer): SniffResult {
  const format = sniffFormat(buf);
  if (format === null) return { kind: 'unknown' };
  if (format === 'svg') return { kind: 'svg' };
  let size: { width: number; height: number } | string;
  try {
    size = readSize(buf, format);
  } catch (e) {
    if (e instanceof OutOfData) return { kind: 'truncated', format };
    throw e;
  }
  if (typeof size === 'string') return { kind: 'corrupt', format, reason: size };
  if (size.width <= 0 || size.height <= 0) {
    return { kind: 'corrupt', format, reason: `it declares a size of ${size.width}×${size.height}` };
  }
  return { kind: 'image', format, ...size };
}

function readSize(buf: Buffer, format: ImageFormat): { width: number; height: number } | string {
  switch (format) {
    case 'png':
      return pngSize(buf);
    case 'jpeg':
      return jpegSize(buf);
    case 'webp':
      return webpSize(buf);
    case 'gif':
      need(buf, 10);
      return { width: buf.readUInt16LE(6), height: buf.readUInt16LE(8) };
    case 'bmp':
      return bmpSize(buf);
    case 'tiff':
      return tiffSize(buf);
  }
}

function pngSize(buf: Buffer): { width: number; height: number } | string {
  need(buf, 24);
  if (buf.toString('latin1', 12, 16) !== 'IHDR') return 'the first chunk is not IHDR';
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/**
 * Walks the marker segments to the first SOFn. Thumbnails live inside APP1 segments, which are
 * skipped whole by their length, so their SOF cannot be mistaken for the image's.
 */
function jpegSize(buf: Buffer): { width: number; height: number } | string {
  let i = 2;
  for (;;) {
    need(buf, i + 2);
    if (buf[i] !== 0xff) return 'a marker is missing before the frame header';
    // Any number of 0xFF fill bytes may precede a marker.
    while (buf[i + 1] === 0xff) {
      i++;
      need(buf, i + 2);
    }
    const marker = buf[i + 1]!;
    i += 2;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd9 || marker === 0xda) return 'there is no frame header before the image data';
    need(buf, i + 2);
    const length = buf.readUInt16BE(i);
    if (length < 2) return 'a segment length is invalid';
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      need(buf, i + 7);
      const height = buf.readUInt16BE(i + 3);
      const width = buf.readUInt16BE(i + 5);
      // Height 0 means "given later by a DNL marker": legal but too rare to be worth supporting.
      if (height === 0) return 'its height is deferred to a DNL marker, which is not supported';
      return { width, height };
    }
    i += length;
  }
}

function webpSize(buf: Buffer): { width: number; height: number } | string {
  need(buf, 16);
  const chunk = buf.toString('latin1', 12, 16);
  if (chunk === 'VP8X') {
    need(buf, 30);
    return { width: buf.readUIntLE(24, 3) + 1, height: buf.readUIntLE(27, 3) + 1 };
  }
  if (chunk === 'VP8 ') {
    need(buf, 30);
    if (buf[23] !== 0x9d || buf[24] !== 0x01 || buf[25] !== 0x2a) return 'the VP8 start code is missing';
    return { width: buf.readUInt16LE(26) & 0x3fff, height: buf.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    need(buf, 25);
    if (buf[20] !== 0x2f) return 'the VP8L signature is missing';
    const bits = buf.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  return `its first chunk "${chunk}" is not VP8, VP8L or VP8X`;
}

function bmpSize(buf: Buffer): { width: number; height: number } | string {
  need(buf, 18);
  const headerSize = buf.readUInt32LE(14);
  if (headerSize === 12) {
    need(buf, 22);
    return { width: buf.readUInt16LE(18), height: buf.readUInt16LE(20) };
  }
  if (headerSize < 40) return `its info header has an unknown size (${headerSize} bytes)`;
  need(buf, 26);
  // A negative height marks a top-down bitmap; the size is its magnitude.
  return { width: buf.readInt32LE(18), height: Math.abs(buf.readInt32LE(22)) };
}

function tiffSize(buf: Buffer): { width: number; height: number } | string {
  need(buf, 8);
  const le = buf[0] === 0x49;
  const u16 = (o: number): number => (need(buf, o + 2), le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number): number => (need(buf, o + 4), le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u64 = (o: number): number => {
    need(buf, o + 8);
    const v = le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  const big = u16(2) === 43;
  const ifd = big ? u64(8) : u32(4);
  const count = big ? u64(ifd) : u16(ifd);
  const first = ifd + (big ? 8 : 2);
  const entrySize = big ? 20 : 12;
  // Writers often put IFD0 after the pixel data, at the end: a cut file loses it first.
  need(buf, first + count * entrySize);
  let width = -1;
  let height = -1;
  // IFD0 is the first page, which is what the decoder reads.
  for (let n = 0; n < count && (width < 0 || height < 0); n++) {
    const e = first + n * entrySize;
    const tag = u16(e);
    if (tag !== 256 && tag !== 257) continue;
    const type = u16(e + 2);
    const valueAt = e + (big ? 12 : 8);
    let value: number;
    if (type === 3) value = u16(valueAt);
    else if (type === 4) value = u32(valueAt);
    else if (type === 16) value = u64(valueAt);
    else return `its size tag has an unexpected type (${type})`;
    if (tag === 256) width = value;
    else height = value;
  }
  if (width < 0 || height < 0) return 'its first directory has no ImageWidth/ImageLength';
  return { width, height };
}

/**
 * libpng and libwebp report a cut file only as "read error" / "unable to parse"; the container's
 * own lengths tell a cut file from a corrupt one without decompressing anything. PNG: a chunk runs
 * past the end before IEND. WebP: the RIFF size promises more bytes than there are.
 */
export function looksTruncated(buf: Buffer, format: ImageFormat): boolean {
  if (format === 'webp') return buf.length >= 8 && buf.readUInt32LE(4) + 8 > buf.length;
  if (format !== 'png') return false;
  let i = 8;
  while (i + 8 <= buf.length) {
    const length = buf.readUInt32BE(i);
    if (buf.toString('latin1', i + 4, i + 8) === 'IEND') return false;
    i += 12 + length;
  }
  return true;
}
