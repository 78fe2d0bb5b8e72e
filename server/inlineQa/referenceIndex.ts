/**
 * The image references of each open document, kept up to date incrementally: an edit splices
 * the per-line results, rescans the lines it touched, and keeps going only while the multi-line
 * state (a code fence, a comment…) differs from what it was, so typing in a 5,000-line document
 * rescans a line or two. Nothing here reads the workspace; documents come from the client.
 */
import * as path from 'node:path';
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import type { Position, Range } from 'vscode-languageserver';
import { INITIAL_STATE, scanLine, type Directive, type LineScan, type RefLanguage, type RefSyntax } from './imageReferences';
import { NotebookScanner, type Attachments } from './notebookReferences';

export type DocLanguage = RefLanguage | 'ipynb';

export interface ImageReference {
  syntax: RefSyntax;
  /** As written; for a Markdown reference-style image, the definition's target. */
  target: string;
  alt?: string;
  range: Range;
  targetRange: Range;
  altRange?: Range;
  /** A notebook opened as JSON: the cell's attachments, and edits must be JSON-escaped. */
  attachments?: Attachments;
  inJsonString?: boolean;
}

export interface PlacedDirective { line: number; directive: Directive }

interface LineEntry {
  /** null: the line changed and is not scanned yet. */
  scan: LineScan | null;
  /** The state the line was scanned in; when the line before now ends in another state, it is rescanned. */
  stateIn: string;
}

const BY_LANGUAGE_ID: Record<string, DocLanguage> = {
  markdown: 'markdown', mdx: 'markdown', latex: 'latex', tex: 'latex', html: 'html',
  restructuredtext: 'rst', rst: 'rst', asciidoc: 'asciidoc', asciidoctor: 'asciidoc', ipynb: 'ipynb', jupyter: 'ipynb',
};
const BY_EXTENSION: Record<string, DocLanguage> = {
  '.md': 'markdown', '.markdown': 'markdown', '.mdx': 'markdown', '.tex': 'latex', '.ltx': 'latex', '.latex': 'latex',
  '.html': 'html', '.htm': 'html', '.xhtml': 'html', '.rst': 'rst', '.rest': 'rst',
  '.adoc': 'asciidoc', '.asciidoc': 'asciidoc', '.asc': 'asciidoc', '.ipynb': 'ipynb',
};

/** Which scanner a document gets: by language id, else by file extension (rST and AsciiDoc often open as plain text). */
export function languageOf(uri: string, languageId: string): DocLanguage | undefined {
  // A notebook cell's URI carries the notebook's path: its language id is what counts.
  if (uri.startsWith('vscode-notebook-cell:')) return languageId === 'markdown' ? 'markdown' : undefined;
  const byId = BY_LANGUAGE_ID[languageId];
  if (byId) return byId;
  const ext = path.posix.extname(uri.replace(/[?#].*$/, '')).toLowerCase();
  return BY_EXTENSION[ext];
}

export class DocumentReferences {
  private lines: LineEntry[] = [];
  private readonly notebook = new NotebookScanner();
  private memo: { refs: ImageReference[]; directives: PlacedDirective[] } | undefined;
  /** Lines scanned by the last update (the benchmark and the tests read it). */
  lastRescanned = 0;

  constructor(readonly language: DocLanguage, readonly document: TextDocument) {
    this.rebuild();
  }

  /** Applies an LSP didChange (the changes in order) to the document and to the index. */
  update(changes: TextDocumentContentChangeEvent[], version: number): void {
    this.memo = undefined;
    let full = this.language === 'ipynb';
    for (const c of changes) {
      if (!('range' in c)) { full = true; continue; }
      if (full) continue;
      const removed = c.range.end.line - c.range.start.line + 1;
      const added = (c.text.match(/\r\n|\r|\n/g)?.length ?? 0) + 1;
      this.lines.splice(c.range.start.line, removed, ...Array.from({ length: added }, () => ({ scan: null, stateIn: INITIAL_STATE })));
    }
    TextDocument.update(this.document, changes, version);
    if (full || this.lines.length !== this.document.lineCount) this.rebuild();
    else this.rescanDirty();
  }

  references(): ImageReference[] {
    return this.resolveMemo().refs;
  }

  /** Directives (graphicspath, imagesdir, link definitions) with their lines, in document order. */
  directives(): PlacedDirective[] {
    return this.resolveMemo().directives;
  }

  /** The reference starting at `p`, else the one containing it. */
  referenceAt(p: Position): ImageReference | undefined {
    const onLine = this.references().filter((r) => r.range.start.line <= p.line && r.range.end.line >= p.line);
    const inside = (r: ImageReference) =>
      (r.range.start.line < p.line || r.range.start.character <= p.character) &&
      (r.range.end.line > p.line || r.range.end.character >= p.character);
    return onLine.find((r) => r.range.start.line === p.line && r.range.start.character === p.character) ?? onLine.find(inside);
  }

  private rebuild(): void {
    this.memo = undefined;
    if (this.language === 'ipynb') { this.lines = []; this.lastRescanned = this.document.lineCount; return; }
    const texts = this.document.getText().split(/\r\n|\r|\n/);
    let state = INITIAL_STATE;
    this.lines = texts.map((text) => {
      const scan = scanLine(this.language as RefLanguage, text, state);
      const entry = { scan, stateIn: state };
      state = scan.state;
      return entry;
    });
    this.lastRescanned = texts.length;
  }

  private rescanDirty(): void {
    let first = -1;
    let last = -1;
    for (let i = 0; i < this.lines.length; i++) {
      if (this.lines[i].scan === null) { if (first < 0) first = i; last = i; }
    }
    this.lastRescanned = 0;
    if (first < 0) return;
    let state = first === 0 ? INITIAL_STATE : this.lines[first - 1].scan!.state;
    for (let i = first; i < this.lines.length; i++) {
      const e = this.lines[i];
      if (e.scan && e.stateIn === state) {
        // Unchanged line starting in the same state: everything after it is still right.
        if (i > last) break;
        state = e.scan.state;
        continue;
      }
      e.stateIn = state;
      e.scan = scanLine(this.language as RefLanguage, this.lineText(i), state);
      state = e.scan.state;
      this.lastRescanned++;
    }
  }

  private lineText(line: number): string {
    return this.document.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$|\r$/, '');
  }

  private resolveMemo(): { refs: ImageReference[]; directives: PlacedDirective[] } {
    if (this.memo) return this.memo;
    this.memo = this.language === 'ipynb' ? this.notebookReferences() : this.lineReferences();
    return this.memo;
  }

  private lineReferences(): { refs: ImageReference[]; directives: PlacedDirective[] } {
    const directives: PlacedDirective[] = [];
    const defs = new Map<string, string>();
    const refs: ImageReference[] = [];
    this.lines.forEach((e, line) => {
      for (const directive of e.scan!.directives) {
        directives.push({ line, directive });
        if (directive.kind === 'linkdef' && !defs.has(directive.label)) defs.set(directive.label, directive.target);
      }
    });
    this.lines.forEach((e, line) => {
      for (const r of e.scan!.refs) {
        const target = r.syntax === 'md-ref-image' ? defs.get(r.label!) : r.target;
        // `![text]` without a definition is just text.
        if (!target) continue;
        const at = (character: number): Position => ({ line, character });
        refs.push({
          syntax: r.syntax, target, ...(r.alt !== undefined ? { alt: r.alt } : {}),
          range: { start: at(r.start), end: at(r.end) },
          targetRange: { start: at(r.targetStart), end: at(r.targetEnd) },
          ...(r.altStart !== undefined ? { altRange: { start: at(r.altStart), end: at(r.altEnd!) } } : {}),
        });
      }
    });
    return { refs, directives };
  }

  private notebookReferences(): { refs: ImageReference[]; directives: PlacedDirective[] } {
    const d = this.document;
    const range = (a: number, b: number): Range => ({ start: d.positionAt(a), end: d.positionAt(b) });
    const refs = this.notebook.scan(d.getText()).map((n): ImageReference => ({
      syntax: n.ref.syntax, target: n.ref.target, ...(n.ref.alt !== undefined ? { alt: n.ref.alt } : {}),
      range: range(n.start, n.end), targetRange: range(n.targetStart, n.targetEnd),
      ...(n.altStart !== undefined && n.altEnd !== undefined ? { altRange: range(n.altStart, n.altEnd) } : {}),
      attachments: n.attachments, inJsonString: true,
    }));
    return { refs, directives: [] };
  }
}

/** The documents the client has open that can hold image references. */
export class OpenDocuments {
  private readonly docs = new Map<string, DocumentReferences>();

  open(uri: string, languageId: string, version: number, text: string): DocumentReferences | undefined {
    const language = languageOf(uri, languageId);
    if (!language) return undefined;
    const refs = new DocumentReferences(language, TextDocument.create(uri, languageId, version, text));
    this.docs.set(uri, refs);
    return refs;
  }

  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): void {
    this.docs.get(uri)?.update(changes, version);
  }

  close(uri: string): void {
    this.docs.delete(uri);
  }

  get(uri: string): DocumentReferences | undefined {
    return this.docs.get(uri);
  }

  all(): DocumentReferences[] {
    return [...this.docs.values()];
  }
}
