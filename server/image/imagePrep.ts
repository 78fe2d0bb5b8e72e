/**
 * Turns whatever image the user picked or pasted into exactly what Qwen2-VL will see: 8-bit sRGB,
 * upright, at the smart_resize size, so the server's own resize is an identity and the token
 * count shown is the one paid. Everything suspicious is refused before a decoder runs.
 */

import { promises as fs } from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import type { PreparedImageInfo } from '../../protocol/thought';
import { BmpError, decodeBmp } from './bmpDecode';
import { type ImageFormat, looksTruncated, sniffImage } from './imageSniff';
import {
  AspectRatioError,
  DEFAULT_MAX_PIXELS,
  DEFAULT_MIN_PIXELS,
  MAX_ASPECT_RATIO,
  imageTokens,
  smartResize,
} from './smartResize';

export type ImageErrorCode =
  | 'empty'
  | 'truncated'
  | 'unknown-format'
  | 'svg'
  | 'aspect-ratio'
  | 'too-many-pixels'
  | 'unreadable'
  | 'not-found';

/** A refusal to show the user: the message names the file, the problem and what to do next. */
export class ImageError extends Error {
  constructor(
    readonly file: string,
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImageError';
  }
}

export interface PrepareOptions {
  maxPixels?: number;
  minPixels?: number;
  /**
   * Header-declared pixel count above which we refuse without decoding (a decompression bomb
   * costs nothing to send and gigabytes to open). Default 200_000_000.
   */
  maxDecodePixels?: number;
}

export interface PreparedImage extends PreparedImageInfo {
  file: string;
  data: Buffer;
  /** data: URL ready for the OpenAI image_url */
  dataUrl(): string;
  sourceFormat: ImageFormat;
}

export const DEFAULT_MAX_DECODE_PIXELS = 200_000_000;

const FORMAT_NAMES: Record<ImageFormat, string> = {
  png: 'PNG',
  jpeg: 'JPEG',
  webp: 'WebP',
  gif: 'GIF',
  bmp: 'BMP',
  tiff: 'TIFF',
};

const ACCEPTED = 'PNG, JPEG, WebP, GIF, BMP or TIFF';
const REEXPORT = 'Open it in an image editor and export it again as PNG or JPEG.';

const fmtInt = (n: number): string => n.toLocaleString('en-US');

export async function prepareImage(file: string, options: PrepareOptions = {}): Promise<PreparedImage> {
  let data: Buffer;
  try {
    data = await fs.readFile(file);
  } catch (e) {
    throw readError(file, e);
  }
  return prepareImageBuffer(data, file, options);
}

function readError(file: string, e: unknown): ImageError {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new ImageError(file, 'not-found', `${file}: no such file. Check the path and choose the image again.`);
    case 'EISDIR':
      return new ImageError(file, 'unreadable', `${file}: this is a folder, not an image. Choose an image file.`);
    case 'EACCES':
    case 'EPERM':
      return new ImageError(file, 'unreadable', `${file}: permission denied. Make the file readable or copy it somewhere you can read.`);
    default:
      return new ImageError(file, 'unreadable', `${file}: the file could not be read (${(e as Error).message}).`);
  }
}

/** The same as prepareImage, for bytes that never were a file (pasted images); `name` labels errors. */
export async function prepareImageBuffer(
  data: Buffer,
  name: string,
  options: PrepareOptions = {},
): Promise<PreparedImage> {
  const minPixels = options.minPixels ?? DEFAULT_MIN_PIXELS;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxDecodePixels = options.maxDecodePixels ?? DEFAULT_MAX_DECODE_PIXELS;

  const format = checkHeader(data, name, maxDecodePixels);
  const fmt = FORMAT_NAMES[format];
  const input = openInput(data, name, format, maxDecodePixels);

  let rendered: { width: number; height: number; sent: { width: number; height: number }; out: Encoded };
  try {
    const meta = await input.metadata();
    // autoOrient holds the size after EXIF orientation (5–8 swap the axes); for GIF and multi-page
    // TIFF the metadata height is already one page's, which is all we decode.
    const width = meta.autoOrient?.width ?? meta.width;
    const height = meta.autoOrient?.height ?? meta.height;
    const sent = smartResize(height, width, minPixels, maxPixels);
    const pipeline = input
      .autoOrient()
      // Qwen's processor resamples with PIL's BICUBIC, a Catmull-Rom cubic (a = -0.5), and since
      // we send the final size its resize never runs: ours must stand in for it. libvips' 'cubic'
      // is the same Catmull-Rom kernel, closer to it than sharp's default lanczos3 (sharper, more
      // ringing). fastShrinkOnLoad off: JPEG/WebP shrink-on-load would first reduce with the
      // decoder's own box-like filter.
      .resize(sent.width, sent.height, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: false })
      // The model sees RGB only; white is what a transparent figure on a page looks like.
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha();
    const out = await encode(pipeline, format, sent.width * sent.height);
    rendered = { width, height, sent, out };
  } catch (e) {
    throw decodeError(e, name, fmt, data, format);
  }

  const { width, height, sent, out } = rendered;
  if (out.width !== sent.width || out.height !== sent.height) {
    throw new Error(`internal: resized ${name} to ${out.width}×${out.height}, expected ${sent.width}×${sent.height}`);
  }
  return {
    file: name,
    data: out.data,
    sourceFormat: format,
    width,
    height,
    sentWidth: sent.width,
    sentHeight: sent.height,
    imageTokens: imageTokens(sent.width, sent.height),
    mime: out.mime,
    bytes: out.data.length,
    dataUrl: () => `data:${out.mime};base64,${out.data.toString('base64')}`,
  };
}

/** Everything that can be decided from the first bytes, before any decoder touches the data. */
function checkHeader(data: Buffer, name: string, maxDecodePixels: number): ImageFormat {
  if (data.length === 0) {
    throw new ImageError(name, 'empty', `${name}: the file is empty (0 bytes). Choose another image.`);
  }
  const sniffed = sniffImage(data);
  switch (sniffed.kind) {
    case 'unknown':
      throw new ImageError(
        name,
        'unknown-format',
        `${name}: not an image Virgo can read (its content is not ${ACCEPTED}; the file name's extension is not used). Convert it to PNG or JPEG and try again.`,
      );
    case 'svg':
      throw new ImageError(
        name,
        'svg',
        `${name}: SVG is a vector format and the model takes pixels. Rasterize it first, e.g. \`rsvg-convert -w 1024 -o out.png in.svg\` or export a PNG from your drawing editor, then attach the PNG.`,
      );
    case 'truncated':
      throw new ImageError(
        name,
        'truncated',
        `${name}: the ${FORMAT_NAMES[sniffed.format]} file is cut short (it ends inside its header). Copy or download it again.`,
      );
    case 'corrupt':
      throw new ImageError(
        name,
        'unreadable',
        `${name}: the ${FORMAT_NAMES[sniffed.format]} header is damaged (${sniffed.reason}). ${REEXPORT}`,
      );
    case 'image':
      break;
  }
  const { format, width, height } = sniffed;
  const pixels = width * height;
  if (pixels > maxDecodePixels) {
    throw new ImageError(
      name,
      'too-many-pixels',
      `${name}: the ${FORMAT_NAMES[format]} header declares ${width}×${height} = ${fmtInt(pixels)} pixels, over the ${fmtInt(maxDecodePixels)}-pixel limit, so it was not opened (an image that large is usually a decompression bomb, and the model would see it shrunk to at most ~12.8 megapixels anyway). Scale it down below the limit and try again.`,
    );
  }
  const ratio = Math.max(width, height) / Math.min(width, height);
  if (ratio > MAX_ASPECT_RATIO) {
    throw new ImageError(name, 'aspect-ratio', aspectMessage(name, ratio, width, height));
  }
  if (looksTruncated(data, format)) {
    throw new ImageError(name, 'truncated', truncatedMessage(name, FORMAT_NAMES[format]));
  }
  return format;
}

function aspectMessage(name: string, ratio: number, width: number | '', height: number | ''): string {
  const shown = Number.isInteger(ratio) ? String(ratio) : ratio.toFixed(1);
  const size = width === '' ? '' : ` (${width}×${height})`;
  return `${name}: its aspect ratio is ${shown}:1${size}, over the ${MAX_ASPECT_RATIO}:1 that Qwen2-VL accepts. Crop it into pieces of at most ${MAX_ASPECT_RATIO}:1, or pad it, and attach those.`;
}

function truncatedMessage(name: string, fmt: string): string {
  return `${name}: the ${fmt} file is cut short (its image data ends early). Copy or download it again, or re-export it.`;
}

function openInput(data: Buffer, name: string, format: ImageFormat, maxDecodePixels: number): Sharp {
  if (format === 'bmp') {
    let bmp;
    try {
      bmp = decodeBmp(data);
    } catch (e) {
      if (!(e instanceof BmpError)) throw e;
      if (e.code === 'truncated') throw new ImageError(name, 'truncated', truncatedMessage(name, 'BMP'));
      const advice =
        e.code === 'unsupported'
          ? 'Save it as PNG (or as an uncompressed 24-bit BMP) and try again.'
          : REEXPORT;
      throw new ImageError(name, 'unreadable', `${name}: ${e.message}. ${advice}`);
    }
    // An alpha-less BMP goes in as RGB so that nothing downstream has to flatten it.
    const channels = bmp.hasAlpha ? 4 : 3;
    const pixels = bmp.hasAlpha ? bmp.rgba : rgbaToRgb(bmp.rgba);
    return sharp(pixels, { raw: { width: bmp.width, height: bmp.height, channels } });
  }
  return sharp(data, {
    // 'truncated' rather than the default 'warning': phones and cameras write JPEGs with harmless
    // warnings (extraneous bytes before a marker) that decode fine; a cut file still fails.
    failOn: 'truncated',
    // Second line of defence after the header check, for a header our sniffer read differently.
    limitInputPixels: maxDecodePixels,
  });
}

function rgbaToRgb(rgba: Buffer): Buffer {
  const rgb = Buffer.alloc((rgba.length / 4) * 3);
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
    rgb[o] = rgba[i]!;
    rgb[o + 1] = rgba[i + 1]!;
    rgb[o + 2] = rgba[i + 2]!;
  }
  return rgb;
}

interface Encoded {
  data: Buffer;
  mime: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

/**
 * zlib level 3, no row filters. Measured on 4004×2996 RGB (`npm run bench:png`): a diagram (lines,
 * text, translucent boxes) came out 2.24 MB in ~90 ms, against 2.12 MB in ~165 ms at sharp's
 * default level 6, and 2.6 MB in ~460 ms with adaptive filters (what libpng and PIL do: bigger on
 * flat figures); a photo-like picture 10.1 MB, where adaptive filters save 12 % for twice the
 * time. Figures are what Virgo reads, and the encode is time the user waits.
 */
export const PNG_OPTIONS = { compressionLevel: 3, adaptiveFiltering: false } as const;

const JPEG_OPTIONS = { quality: 95, chromaSubsampling: '4:4:4' } as const;

/**
 * Above this many sent pixels a JPEG source goes out as JPEG without a PNG trial: the trial PNG
 * encode cost 1.6 s of CPU on a 12 MP image (the JPEG encode 0.5 s) and lost there every time we
 * measured (noisy photo 25 MB vs 9.7 MB, flat colour 1228×900 18 KB vs 13 KB).
 */
const PNG_TRIAL_MAX_PIXELS = 1_000_000;

/**
 * Lossless PNG by default. A JPEG source has already lost what JPEG loses, and PNG would make a
 * photo 2–5× bigger in the request body, so a JPEG source is sent as JPEG quality 95 (4:4:4, no
 * chroma loss) when that is smaller: up to PNG_TRIAL_MAX_PIXELS both are encoded from the same
 * rendered pixels and the smaller wins (small icons and flat images go PNG); above it, JPEG.
 */
async function encode(pipeline: Sharp, format: ImageFormat, sentPixels: number): Promise<Encoded> {
  if (format !== 'jpeg' || sentPixels > PNG_TRIAL_MAX_PIXELS) {
    const jpeg = format === 'jpeg';
    const out = jpeg ? pipeline.jpeg(JPEG_OPTIONS) : pipeline.png(PNG_OPTIONS);
    const { data, info } = await out.toBuffer({ resolveWithObject: true });
    return { data, mime: jpeg ? 'image/jpeg' : 'image/png', width: info.width, height: info.height };
  }
  const { data: raw, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const rawOptions = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const [png, jpeg] = await Promise.all([
    sharp(raw, rawOptions).png(PNG_OPTIONS).toBuffer(),
    sharp(raw, rawOptions).jpeg(JPEG_OPTIONS).toBuffer(),
  ]);
  return jpeg.length < png.length
    ? { data: jpeg, mime: 'image/jpeg', width: info.width, height: info.height }
    : { data: png, mime: 'image/png', width: info.width, height: info.height };
}

function decodeError(e: unknown, name: string, fmt: string, data: Buffer, format: ImageFormat): Error {
  if (e instanceof ImageError) return e;
  if (e instanceof AspectRatioError) {
    return new ImageError(name, 'aspect-ratio', aspectMessage(name, e.ratio, '', ''));
  }
  const message = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(message)) {
    return new ImageError(name, 'too-many-pixels', `${name}: the ${fmt} image is larger than the pixel limit, so it was not decoded. Scale it down and try again.`);
  }
  if (
    /premature end|truncat|unexpected end|end of (file|data|stream|input)|not enough data|short read/i.test(message) ||
    looksTruncated(data, format)
  ) {
    return new ImageError(name, 'truncated', truncatedMessage(name, fmt));
  }
  const detail = message.split('\n')[0];
  return new ImageError(name, 'unreadable', `${name}: the ${fmt} data could not be decoded (${detail}). ${REEXPORT}`);
}
