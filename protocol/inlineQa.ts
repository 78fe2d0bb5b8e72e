/**
 * Inline diagram QA: the shapes the language server, the VS Code client and other LSP editors
 * share. The features themselves are standard LSP (code lens, hover, code action, inlay hint,
 * workspace/executeCommand); only the stored thought and the trust state need custom messages
 * (declared in lsp.ts).
 */
import type { Answer, EndReason, ReasonEvent, Segment, Usage } from './thought';
import type { ImageCard } from './webviewMessages';

/** workspace/executeCommand: ask Virgo about the image reference at `position`. */
export const ASK_ABOUT_REFERENCE = 'virgo.askAboutReference';
/** workspace/executeCommand: open a stored answer's full thought (VS Code: the panel; others: a Markdown file). */
export const OPEN_THOUGHT = 'virgo.openThought';

export interface ReferencePosition { line: number; character: number }

export interface AskReferenceArgs {
  uri: string;
  /** Where the reference starts (its lens sits there); the reference at that position is asked about. */
  position: ReferencePosition;
  /** Empty or absent: the reference's own alt text or caption when it is a question, else the default question. */
  question?: string;
  /** Ask again even when an answer for this image, question, model and parameters is stored. */
  force?: boolean;
  /** The VS Code client adds it from its secret storage; other editors rely on $VIRGO_API_KEY. Never logged. */
  apiKey?: string;
  /** A question the document suggests (alt text or caption phrased as one), for the client's prompt. */
  suggestion?: string;
}

export interface AskReferenceResult {
  reason: EndReason;
  /** The stored answer's key (absent when nothing was stored: error or cancelled). */
  key?: string;
  /** True when the answer came from the store and nothing was sent. */
  cached?: boolean;
  /** The last boxed answer (TeX), else null. */
  boxed?: string | null;
  /** The answer in a few plain words, as the lens shows it ("√5"). */
  shortAnswer?: string;
  error?: string;
  errorKind?: string;
  status?: number;
}

export interface OpenThoughtArgs { key: string }

/** The request parameters an answer depends on, besides the image bytes, the question and the model. */
export interface AnswerParams {
  maxTokens: number;
  temperature: number;
  maxPixels: number;
  promptPrefix: string;
}

/** One answer as persisted (one JSON file per answer in the storage directory). */
export interface StoredAnswer {
  version: 1;
  /** sha256 of (image sha256, question, model, params). */
  key: string;
  imageSha256: string;
  /** Where the image came from when asked: an absolute path, a URL or `notebook.ipynb#attachment:name`. */
  source: string;
  question: string;
  model: string;
  params: AnswerParams;
  createdAt: number;
  durationMs: number;
  start: Extract<ReasonEvent, { type: 'start' }>;
  segments: Segment[];
  answer: Answer;
  end: { reason: EndReason; usage: Usage | null };
  /** The image as the panel shows it (a small PNG), so the thought can be shown even after the file changed. */
  image: ImageCard;
}

/** A stored answer for the panel, with the image file when it still holds the bytes the answer is about (so the panel can ask again). */
export interface StoredThought {
  answer: StoredAnswer;
  imagePath?: string;
}

/** What the VS Code client sends in initializationOptions (other editors may send any of it, or nothing). */
export interface InlineQaInitOptions {
  /** Where answers are kept; default $VIRGO_ANSWERS_DIR, else $XDG_STATE_HOME/virgo-vscode/answers. */
  storagePath?: string;
  /** False: read-only (stored answers are shown, nothing can be asked). Default true. */
  workspaceTrusted?: boolean;
  /** Put a thumbnail (a data: PNG) in hovers; only clients that render Markdown images want it. */
  hoverThumbnails?: boolean;
  /** The client reports ask errors itself (with its own buttons), so the server does not show them too. */
  clientReportsAskErrors?: boolean;
}

/** The `virgo.inlineQa.*` settings. */
export interface InlineQaSettings {
  enabled: boolean;
  inlayHints: boolean;
  allowRemoteImages: boolean;
}
