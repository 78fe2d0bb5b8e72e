/**
 * A decoder for uncompressed BMP, because the libvips that sharp ships has no BMP loader (sharp
 * answers "unsupported image format"). It covers what screenshot tools and old scanners write:
 * 1/4/8-bit palettes, 16/24/32-bit, BI_BITFIELDS, bottom-up and top-down. RLE and embedded
 * JPEG/PNG are refused rather than half-supported. Every read is bounds-checked: the input is
 * whatever the user dropped on us.
 *
 * The caller has already checked the declared size against its pixel limit; the output buffer is
 * width × height × 4 bytes.
 */

export class BmpError extends Error {
  constructor(
    readonly code: 'truncated' | 'unsupported' | 'corrupt',
    message: string,
  ) {
    super(message);
    this.name = 'BmpError';
  }
}

export interface DecodedBmp {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, top row first. */
  rgba: Buffer;
  /** False when the file has no alpha, or an alpha field that is zero everywhere (i.e. unused). */
  hasAlpha: boolean;
}

const COMPRESSION_NAMES: Record<number, string> = {
  1: 'RLE8-compressed',
  2: 'RLE4-compressed',
  4: 'JPEG-compressed',
  5: 'PNG-compressed',
  11: 'CMYK',
  12: 'CMYK RLE8-compressed',
  13: 'CMYK RLE4-compressed',
};

interface Channel {
  mask: number;
  shift: number;
  bits: number;
}

function channel(mask: number): Channel {
  if (mask === 0) return { mask: 0, shift: 0, bits: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (shift + bits < 32 && ((mask >>> (shift + bits)) & 1) === 1) bits++;
  return { mask, shift, bits };
}

/** Scales an n-bit field to 0..255 so that full scale stays full scale (5-bit 31 → 255). */
function extract(px: number, c: Channel): number {
  const v = (px & c.mask) >>> c.shift;
  if (c.bits >= 8) return v >>> (c.bits - 8);
  return Math.round((v * 255) / ((1 << c.bits) - 1));
}

export function decodeBmp(buf: Buffer): DecodedBmp {
  const need = (end: number): void => {
    if (end > buf.length) throw new BmpError('truncated', 'the file ends inside its header');
  };
  need(18);
  const dataOffset = buf.readUInt32LE(10);
  const headerSize = buf.readUInt32LE(14);
  let width: number;
  let rawHeight: number;
  let bpp: number;
  let compression = 0;
  let colorsUsed = 0;
  if (headerSize === 12) {
    need(26);
    width = buf.readUInt16LE(18);
    rawHeight = buf.readUInt16LE(20);
    bpp = buf.readUInt16LE(24);
  } else if (headerSize >= 40) {
    need(14 + 40);
    width = buf.readInt32LE(18);
    rawHeight = buf.readInt32LE(22);
    bpp = buf.readUInt16LE(28);
    compression = buf.readUInt32LE(30);
    colorsUsed = buf.readUInt32LE(46);
  } else {
    throw new BmpError('unsupported', `its info header size (${headerSize} bytes) is not a known BMP variant`);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw new BmpError('corrupt', `it declares a size of ${width}×${height}`);

  const named = COMPRESSION_NAMES[compression];
  if (named) {
    throw new BmpError('unsupported', `it is a ${named} BMP, which is not supported`);
  }
  const bitfields = compression === 3 || compression === 6;
  if (compression !== 0 && !bitfields) {
    throw new BmpError('unsupported', `it uses an unknown BMP compression (${compression})`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) {
    throw new BmpError('unsupported', `it has ${bpp} bits per pixel, which BMP does not define`);
  }
  if (bitfields && bpp !== 16 && bpp !== 32) {
    throw new BmpError('unsupported', `it combines bit fields with ${bpp} bits per pixel`);
  }

  let r: Channel;
  let g: Channel;
  let b: Channel;
  let a: Channel;
  if (bitfields) {
    // The masks sit at offset 54 both inside V2+ headers and right after a 40-byte one.
    const alphaInFile = compression === 6 || headerSize >= 56;
    need(54 + (alphaInFile ? 16 : 12));
    r = channel(buf.readUInt32LE(54));
    g = channel(buf.readUInt32LE(58));
    b = channel(buf.readUInt32LE(62));
    a = channel(alphaInFile ? buf.readUInt32LE(66) : 0);
  } else if (bpp === 16) {
    [r, g, b, a] = [channel(0x7c00), channel(0x03e0), channel(0x001f), channel(0)];
  } else {
    // 32-bit BI_RGB: the fourth byte is documented as unused, so it is not alpha.
    [r, g, b, a] = [channel(0xff0000), channel(0xff00), channel(0xff), channel(0)];
  }

  let palette: Buffer | null = null;
  let paletteSize = 0;
  if (bpp <= 8) {
    const entry = headerSize === 12 ? 3 : 4;
    const max = 1 << bpp;
    paletteSize = colorsUsed > 0 && colorsUsed < max ? colorsUsed : max;
    const start = 14 + headerSize;
    // Some writers store fewer entries than they declare; take those that fit before the pixels.
    const room = Math.floor((Math.min(dataOffset, buf.length) - start) / entry);
    paletteSize = Math.max(0, Math.min(paletteSize, room));
    palette = Buffer.alloc(max * 3); // entries past the stored ones decode as black
    for (let i = 0; i < paletteSize; i++) {
      const o = start + i * entry;
      palette[i * 3] = buf[o + 2]!;
      palette[i * 3 + 1] = buf[o + 1]!;
      palette[i * 3 + 2] = buf[o]!;
    }
  }

  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const rowBytes = Math.ceil((bpp * width) / 8);
  // The last row's padding is often missing in files from careless writers; accept that.
  if (dataOffset + stride * (height - 1) + rowBytes > buf.length) {
    throw new BmpError('truncated', 'the file ends before all its pixel rows');
  }

  const out = Buffer.alloc(width * height * 4);
  let alphaSeen = false;
  for (let y = 0; y < height; y++) {
    const src = dataOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * 4;
    for (let x = 0; x < width; x++, o += 4) {
      if (palette) {
        const bit = x * bpp;
        const byte = buf[src + (bit >> 3)]!;
        const index = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        out[o] = palette[index * 3]!;
        out[o + 1] = palette[index * 3 + 1]!;
        out[o + 2] = palette[index * 3 + 2]!;
        out[o + 3] = 255;
      } else if (bpp === 24) {
        const s = src + x * 3;
        out[o] = buf[s + 2]!;
        out[o + 1] = buf[s + 1]!;
        out[o + 2] = buf[s]!;
        out[o + 3] = 255;
      } else {
        const px = bpp === 16 ? buf.readUInt16LE(src + x * 2) : buf.readUInt32LE(src + x * 4);
        out[o] = extract(px, r);
        out[o + 1] = extract(px, g);
        out[o + 2] = extract(px, b);
        if (a.bits > 0) {
          const alpha = extract(px, a);
          out[o + 3] = alpha;
          if (alpha !== 0) alphaSeen = true;
        } else {
          out[o + 3] = 255;
        }
      }
    }
  }
  // An alpha field that is zero everywhere is a writer leaving it unset, not a transparent image.
  const hasAlpha = a.bits > 0 && alphaSeen;
  if (a.bits > 0 && !alphaSeen) {
    for (let i = 3; i < out.length; i += 4) out[i] = 255;
  }
  return { width, height, rgba: out, hasAlpha };
}
