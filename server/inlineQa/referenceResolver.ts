/**
 * Where a reference's image actually is: a file (relative to the document, through LaTeX's
 * \graphicspath or AsciiDoc's :imagesdir:, with LaTeX's missing extension filled in), a notebook
 * attachment, inline data, or a remote URL (only ever downloaded on an explicit ask). Local
 * checks only: resolving never touches the network.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pickAttachment } from './notebookReferences';
import type { DocumentReferences, ImageReference } from './referenceIndex';

export type ImageLocation =
  | { kind: 'file'; path: string; source: string }
  /** Bytes held in the document: a notebook attachment (notebook opened as JSON) or a data: URI. */
  | { kind: 'inline'; name: string; base64: string; source: string }
  /** An attachment of a notebook opened as cells (VS Code): read from the saved .ipynb. */
  | { kind: 'notebookAttachment'; notebookPath: string; name: string; source: string }
  | { kind: 'remote'; url: string; source: string }
  | { kind: 'unavailable'; why: 'missing' | 'unsupported' | 'unsaved'; message: string };

/** What Virgo can take; LaTeX's search tries these first when the extension is left out. */
const RASTER = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff'];
/** What LaTeX documents also include but the model cannot see. */
const VECTOR = ['.pdf', '.eps', '.ps', '.svg'];

export function resolveReference(doc: DocumentReferences, ref: ImageReference, workspaceFolders: readonly string[]): ImageLocation {
  const target = ref.target.trim();
  const uri = doc.document.uri;
  const data = /^data:(image\/[\w.+-]+)?(?:;[^,;]*)*;base64,([A-Za-z0-9+/=\s]+)$/i.exec(target);
  if (data) {
    const hash = createHash('sha256').update(data[2]).digest('hex').slice(0, 16);
    return { kind: 'inline', name: `inline image (${data[1] ?? 'data'})`, base64: data[2], source: `data:${hash}` };
  }
  if (/^https?:\/\//i.test(target) || target.startsWith('//')) {
    const url = target.startsWith('//') ? `https:${target}` : target;
    return { kind: 'remote', url, source: url };
  }
  if (/^attachment:/i.test(target)) return attachment(uri, ref, safeDecode(target.slice('attachment:'.length)));
  if (/^file:\/\//i.test(target)) {
    try { return checkFile([fileURLToPath(target)], target); } catch { return unavailable('missing', `${target} is not a usable file URL.`); }
  }
  if (/^[a-z][a-z0-9+.-]+:/i.test(target)) return unavailable('unsupported', `${target}: only local files, attachments and http(s) images can be sent.`);

  const docPath = documentPath(uri);
  if (!docPath) return unavailable('unsaved', `Save the document first: ${target} is relative to where it is saved.`);
  const docDir = path.dirname(docPath);
  const line = ref.range.start.line;
  // URLs in Markdown and HTML may carry a query or fragment and percent-escapes; file names may too.
  const isUrl = doc.language === 'markdown' || doc.language === 'html' || doc.language === 'ipynb';
  const written = isUrl ? [...new Set([safeDecode(target.replace(/[?#].*$/, '')), target])] : [target];

  const bases: string[] = [];
  if (doc.language === 'latex') {
    // LaTeX looks in the current directory, then in each \graphicspath entry (the last one set wins).
    const gp = [...doc.directives()].reverse().find((d) => d.line <= line && d.directive.kind === 'graphicspath');
    bases.push(docDir, ...(gp?.directive.kind === 'graphicspath' ? gp.directive.dirs.map((d) => path.resolve(docDir, d)) : []));
  } else if (doc.language === 'asciidoc') {
    const dir = [...doc.directives()].reverse().find((d) => d.line <= line && d.directive.kind === 'imagesdir');
    bases.push(dir?.directive.kind === 'imagesdir' && dir.directive.dir ? path.resolve(docDir, dir.directive.dir) : docDir);
  } else {
    bases.push(docDir);
  }

  const candidates: string[] = [];
  for (const t of written) {
    if (path.isAbsolute(t)) {
      candidates.push(t);
      // Site-absolute links (`/figs/a.png`) in Markdown, HTML and Sphinx mean the project root.
      const folder = workspaceFolders.find((f) => docPath.startsWith(f + path.sep)) ?? workspaceFolders[0];
      if (folder) candidates.push(path.join(folder, t));
    } else {
      for (const b of bases) candidates.push(path.resolve(b, t));
    }
  }
  const withExtensions = doc.language === 'latex' && !path.extname(target)
    ? [...RASTER, ...VECTOR].flatMap((e) => candidates.map((c) => c + e))
    : candidates;
  return checkFile(withExtensions, target);
}

/** The local file behind a document URI (a notebook cell's URI names its notebook). */
export function documentPath(uri: string): string | undefined {
  if (uri.startsWith('file:')) return fileURLToPath(uri);
  // A cell's URI is the notebook's path with a fragment; remote hosts (code-server) add an authority.
  if (uri.startsWith('vscode-notebook-cell:')) {
    try { return decodeURIComponent(new URL(uri).pathname); } catch { return undefined; }
  }
  return undefined;
}

function checkFile(candidates: string[], written: string): ImageLocation {
  const found = candidates.find((c) => statSync(c, { throwIfNoEntry: false })?.isFile());
  if (!found) {
    const shown = [...new Set(candidates)].slice(0, 4).join(', ');
    return unavailable('missing', `${written} was not found (looked for ${shown}${candidates.length > 4 ? ', …' : ''}).`);
  }
  const ext = path.extname(found).toLowerCase();
  if (VECTOR.includes(ext)) {
    return unavailable('unsupported',
      `${path.basename(found)} is a ${ext.slice(1).toUpperCase()} figure, which the model cannot take. ` +
      `Export it as PNG next to it (${path.basename(found, ext)}.png) and reference that (a LaTeX reference without an extension finds it).`);
  }
  return { kind: 'file', path: found, source: found };
}

function attachment(uri: string, ref: ImageReference, name: string): ImageLocation {
  const docPath = documentPath(uri);
  if (ref.attachments) {
    const bundle = ref.attachments[name];
    const picked = bundle ? pickAttachment(bundle) : undefined;
    if (!picked) return unavailable('missing', `The cell has no attachment named ${name}.`);
    return { kind: 'inline', name, base64: picked.base64, source: `${docPath ?? uri}#attachment:${name}` };
  }
  if (uri.startsWith('vscode-notebook-cell:') && docPath) {
    return { kind: 'notebookAttachment', notebookPath: docPath, name, source: `${docPath}#attachment:${name}` };
  }
  return unavailable('unsupported', `attachment:${name} only means something inside a Jupyter notebook cell.`);
}

function unavailable(why: 'missing' | 'unsupported' | 'unsaved', message: string): ImageLocation {
  return { kind: 'unavailable', why, message };
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}
