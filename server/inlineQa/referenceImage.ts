/**
 * The bytes behind a resolved reference, and what a hover says about them (size, token cost, a
 * thumbnail). Local reads only, except a remote image on an explicit ask when the user allowed it.
 */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { sniffImage } from '../image/imageSniff';
import { DEFAULT_MIN_PIXELS, imageTokens, smartResize } from '../image/smartResize';
import { attachmentInNotebook } from './notebookReferences';
import type { ImageLocation } from './referenceResolver';

/** A reason not to ask, worded for the user; nothing was sent. */
export class AskRefusal extends Error {}

export interface ImageBytes {
  bytes: Buffer;
  name: string;
  /** For files: what the answer's freshness is later checked against. */
  stamp?: { mtimeMs: number; size: number };
}

const REMOTE_MAX_BYTES = 32 * 1024 * 1024;
const REMOTE_TIMEOUT_MS = 30_000;
const THUMBNAIL_EDGE = 160;

export const REMOTE_OFF_MESSAGE =
  'Remote images are not downloaded. To ask about one, allow it with the virgo.inlineQa.allowRemoteImages setting ' +
  '(it is then downloaded only when you ask), or save the image next to the document.';

export async function loadImageBytes(loc: ImageLocation, allowRemote: boolean, signal?: AbortSignal): Promise<ImageBytes> {
  switch (loc.kind) {
    case 'unavailable': throw new AskRefusal(loc.message);
    case 'file': {
      const [bytes, st] = await Promise.all([readFile(loc.path), stat(loc.path)]).catch((e: NodeJS.ErrnoException) => {
        throw new AskRefusal(`Cannot read ${loc.path} (${e.code ?? e.message}).`);
      });
      return { bytes, name: path.basename(loc.path), stamp: { mtimeMs: st.mtimeMs, size: st.size } };
    }
    case 'inline': return { bytes: Buffer.from(loc.base64.replace(/\s+/g, ''), 'base64'), name: loc.name };
    case 'notebookAttachment': {
      const json = await readFile(loc.notebookPath, 'utf8').catch(() => {
        throw new AskRefusal(`Cannot read the notebook ${loc.notebookPath}.`);
      });
      const found = attachmentInNotebook(json, loc.name);
      if (!found) throw new AskRefusal(`The saved notebook has no attachment named ${loc.name}: save the notebook first.`);
      return { bytes: Buffer.from(found.base64.replace(/\s+/g, ''), 'base64'), name: loc.name };
    }
    case 'remote':
      if (!allowRemote) throw new AskRefusal(REMOTE_OFF_MESSAGE);
      return { bytes: await download(loc.url, signal), name: decodeURIComponent(new URL(loc.url).pathname.split('/').pop() || 'remote image') };
  }
}

async function download(url: string, signal?: AbortSignal): Promise<Buffer> {
  const signals = [AbortSignal.timeout(REMOTE_TIMEOUT_MS), ...(signal ? [signal] : [])];
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.any(signals), redirect: 'follow' });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new AskRefusal(`Downloading ${url} failed: ${(e as Error).message}.`);
  }
  if (!res.ok || !res.body) throw new AskRefusal(`Downloading ${url} failed: HTTP ${res.status}.`);
  if (Number(res.headers.get('content-length') ?? 0) > REMOTE_MAX_BYTES) throw new AskRefusal(`${url} is larger than 32 MB; save a smaller copy next to the document.`);
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > REMOTE_MAX_BYTES) throw new AskRefusal(`${url} is larger than 32 MB; save a smaller copy next to the document.`);
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}

export interface ImageFacts {
  name: string;
  width: number;
  height: number;
  sentWidth: number;
  sentHeight: number;
  imageTokens: number;
  bytes: number;
  thumbnailDataUri?: string;
}

/** Hover facts by source and file stamp: hovering the same figure again reads nothing. */
const factsCache = new Map<string, Promise<ImageFacts>>();
const FACTS_CACHE_SIZE = 64;

/** Size, token cost and (optionally) a thumbnail; throws when the bytes are not a usable image. */
export async function imageFacts(loc: ImageLocation, maxPixels: number, thumbnail: boolean): Promise<ImageFacts> {
  if (loc.kind === 'remote' || loc.kind === 'unavailable') throw new AskRefusal('not a local image');
  const st = loc.kind === 'file' ? await stat(loc.path) : undefined;
  const key = `${loc.source}|${st?.mtimeMs}|${st?.size}|${maxPixels}|${thumbnail}`;
  let facts = factsCache.get(key);
  if (!facts) {
    facts = computeFacts(loc, maxPixels, thumbnail);
    factsCache.set(key, facts);
    facts.catch(() => factsCache.delete(key));
    while (factsCache.size > FACTS_CACHE_SIZE) factsCache.delete(factsCache.keys().next().value!);
  }
  return facts;
}

async function computeFacts(loc: ImageLocation, maxPixels: number, thumbnail: boolean): Promise<ImageFacts> {
  const { bytes, name } = await loadImageBytes(loc, false);
  // The header decides before any decoder runs (SVG, damaged files and unknown formats stop here).
  const sniffed = sniffImage(bytes);
  if (sniffed.kind !== 'image') throw new AskRefusal(`${name} is not an image Virgo can read (${sniffed.kind === 'svg' ? 'SVG is a vector format' : `${sniffed.kind} file`}).`);
  let { width, height } = sniffed;
  const meta = await sharp(bytes, { pages: 1 }).metadata().catch(() => undefined);
  // EXIF orientation 5–8 swaps the axes.
  width = meta?.autoOrient?.width ?? width;
  height = meta?.autoOrient?.height ?? height;
  const sent = smartResize(height, width, DEFAULT_MIN_PIXELS, maxPixels);
  const facts: ImageFacts = {
    name, width, height, sentWidth: sent.width, sentHeight: sent.height,
    imageTokens: imageTokens(sent.width, sent.height), bytes: bytes.length,
  };
  if (thumbnail) {
    const png = await sharp(bytes, { pages: 1 }).autoOrient()
      .resize(THUMBNAIL_EDGE, THUMBNAIL_EDGE, { fit: 'inside', withoutEnlargement: true }).png().toBuffer()
      .catch(() => undefined); // BMP is decoded by our own reader only when asking: no thumbnail then
    if (png) facts.thumbnailDataUri = `data:image/png;base64,${png.toString('base64')}`;
  }
  return facts;
}
