/**
 * Image references in a Jupyter notebook opened as text (the .ipynb JSON): each Markdown cell's
 * source is scanned like a Markdown document, and the results are mapped back into the JSON
 * strings. Cells are cached by their source, so an edit rescans only the cell it touched.
 * (Notebooks opened as notebooks, as in VS Code, arrive cell by cell as Markdown documents.)
 */
import { INITIAL_STATE, normalizeLabel, scanLine, type LineRef } from './imageReferences';
import { offsetInString, parseJsonWithOffsets, prop, type JsonNode } from './jsonWithOffsets';

/** A cell's attachments: name → { mime type → base64 }. */
export type Attachments = Record<string, Record<string, string>>;

/** A reference with absolute text offsets (the index turns them into positions). */
export interface NotebookRef {
  ref: LineRef;
  start: number;
  end: number;
  targetStart: number;
  targetEnd: number;
  altStart?: number;
  altEnd?: number;
  attachments: Attachments;
}

type StringNode = Extract<JsonNode, { type: 'string' }>;
/** A reference inside a cell's source text: columns are offsets into the cell text. */
interface CellRef { ref: LineRef; lineStart: number }

export class NotebookScanner {
  private cache = new Map<string, CellRef[]>();

  /** All references of the notebook; an unparsable notebook (mid-edit) has none. */
  scan(text: string): NotebookRef[] {
    let root: JsonNode;
    try {
      root = parseJsonWithOffsets(text);
    } catch {
      return [];
    }
    const cells = prop(root, 'cells');
    if (cells?.type !== 'array') return [];
    const next = new Map<string, CellRef[]>();
    const out: NotebookRef[] = [];
    for (const cell of cells.items) {
      if (prop(cell, 'cell_type')?.type !== 'string' || (prop(cell, 'cell_type') as StringNode).value !== 'markdown') continue;
      const pieces = sourcePieces(prop(cell, 'source'));
      const source = pieces.map((p) => p.node.value).join('');
      const refs = next.get(source) ?? this.cache.get(source) ?? scanCell(source);
      next.set(source, refs);
      if (refs.length === 0) continue;
      const attachments = readAttachments(prop(cell, 'attachments'));
      for (const { ref, lineStart } of refs) {
        const at = (col: number) => toOffset(text, pieces, lineStart + col);
        const start = at(ref.start);
        const end = at(ref.end);
        if (start === undefined || end === undefined) continue;
        out.push({
          ref, start, end, targetStart: at(ref.targetStart) ?? start, targetEnd: at(ref.targetEnd) ?? end,
          ...(ref.altStart !== undefined ? { altStart: at(ref.altStart), altEnd: at(ref.altEnd!) } : {}),
          attachments,
        });
      }
    }
    this.cache = next;
    return out;
  }
}

/** Finds the attachments of the notebook cell that references `name` (a notebook read from disk). */
export function attachmentInNotebook(notebookJson: string, name: string): { mime: string; base64: string } | undefined {
  let nb: { cells?: Array<{ attachments?: Attachments }> };
  try {
    nb = JSON.parse(notebookJson) as typeof nb;
  } catch {
    return undefined;
  }
  for (const cell of nb.cells ?? []) {
    const a = cell.attachments?.[name];
    if (a) return pickAttachment(a);
  }
  return undefined;
}

/** The attachment's image, preferring formats the model can take. */
export function pickAttachment(bundle: Record<string, string>): { mime: string; base64: string } | undefined {
  const mimes = Object.keys(bundle);
  const mime = mimes.find((m) => /^image\/(png|jpeg|webp|gif|bmp|tiff)$/.test(m)) ?? mimes[0];
  const data: unknown = mime ? bundle[mime] : undefined;
  const base64 = Array.isArray(data) ? data.join('') : data;
  if (!mime || typeof base64 !== 'string') return undefined;
  return { mime, base64 };
}

interface Piece { node: StringNode; decodedStart: number }

function sourcePieces(source: JsonNode | undefined): Piece[] {
  const nodes = source?.type === 'string' ? [source] : source?.type === 'array' ? source.items.filter((n): n is StringNode => n.type === 'string') : [];
  let at = 0;
  return nodes.map((node) => { const p = { node, decodedStart: at }; at += node.value.length; return p; });
}

function toOffset(text: string, pieces: Piece[], index: number): number | undefined {
  for (let i = pieces.length - 1; i >= 0; i--) {
    const p = pieces[i];
    if (index >= p.decodedStart && index <= p.decodedStart + p.node.value.length) {
      return offsetInString(text, p.node, index - p.decodedStart);
    }
  }
  return undefined;
}

/** A cell is its own Markdown document: reference-style images resolve through its own definitions. */
function scanCell(source: string): CellRef[] {
  const refs: CellRef[] = [];
  const defs = new Map<string, string>();
  let state = INITIAL_STATE;
  let lineStart = 0;
  for (const line of source.split('\n')) {
    const scan = scanLine('markdown', line.replace(/\r$/, ''), state);
    state = scan.state;
    for (const ref of scan.refs) refs.push({ ref, lineStart });
    for (const d of scan.directives) if (d.kind === 'linkdef' && !defs.has(d.label)) defs.set(d.label, d.target);
    lineStart += line.length + 1;
  }
  return refs.flatMap((r) => {
    if (r.ref.syntax !== 'md-ref-image') return [r];
    const target = defs.get(normalizeLabel(r.ref.label ?? ''));
    return target ? [{ ...r, ref: { ...r.ref, target } }] : [];
  });
}

function readAttachments(node: JsonNode | undefined): Attachments {
  if (node?.type !== 'object') return {};
  const out: Attachments = {};
  for (const { key, value } of node.props) {
    if (value.type !== 'object') continue;
    const bundle: Record<string, string> = {};
    for (const p of value.props) {
      if (p.value.type === 'string') bundle[p.key] = p.value.value;
      else if (p.value.type === 'array') bundle[p.key] = p.value.items.map((n) => (n.type === 'string' ? n.value : '')).join('');
    }
    out[key] = bundle;
  }
  return out;
}
