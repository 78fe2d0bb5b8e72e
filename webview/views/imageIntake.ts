import { bytesToBase64 } from '../base64';
import { h } from '../dom';

export interface IncomingImage {
  name: string;
  dataBase64: string;
}

/** The host decodes and re-encodes anyway; this only keeps obvious non-images out of the channel. */
const IMAGE_TYPE = /^image\/(png|jpe?g|gif|webp|bmp|tiff?|avif)$/i;
const IMAGE_NAME = /\.(png|jpe?g|gif|webp|bmp|tiff?|avif)$/i;

function isImage(file: File): boolean {
  return IMAGE_TYPE.test(file.type) || (!file.type && IMAGE_NAME.test(file.name));
}

function firstImage(files: ArrayLike<File> | null | undefined): File | null {
  for (const file of Array.from(files ?? [])) if (isImage(file)) return file;
  return null;
}

/**
 * Paste (Ctrl/Cmd+V of an image) and drag-and-drop of an image file anywhere in the panel. Shows a
 * drop overlay while something droppable is over the panel. Text pastes into the question box are
 * left alone: only a clipboard that carries an image file is taken.
 */
export class ImageIntake {
  readonly overlay: HTMLElement;
  private depth = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly onImage: (image: IncomingImage) => void,
    private readonly onReject: (message: string) => void,
    signal?: AbortSignal,
  ) {
    this.overlay = h('div', { class: 'drop-overlay', attrs: { 'aria-hidden': 'true' } }, [
      h('div', { class: 'drop-overlay__box' }, [
        h('span', { class: 'drop-overlay__icon', text: '⤓' }),
        h('span', { text: 'Drop the image to reason about it' }),
      ]),
    ]);
    const doc = root.ownerDocument;
    doc.addEventListener('paste', (e) => this.paste(e), { signal });
    doc.addEventListener('dragenter', (e) => this.dragEnter(e), { signal });
    doc.addEventListener('dragover', (e) => this.dragOver(e), { signal });
    doc.addEventListener('dragleave', () => this.dragLeave(), { signal });
    doc.addEventListener('drop', (e) => this.drop(e), { signal });
  }

  private paste(e: ClipboardEvent): void {
    const data = e.clipboardData;
    if (!data) return;
    let file = firstImage(data.files);
    if (!file && data.items) {
      for (const item of Array.from(data.items)) {
        if (item.kind === 'file' && IMAGE_TYPE.test(item.type)) {
          file = item.getAsFile();
          if (file) break;
        }
      }
    }
    if (!file) return; // plain text: let the textarea have it
    e.preventDefault();
    void this.take(file, 'Pasted image');
  }

  private static carriesFiles(e: DragEvent): boolean {
    return Array.from(e.dataTransfer?.types ?? []).includes('Files');
  }

  private dragEnter(e: DragEvent): void {
    if (!ImageIntake.carriesFiles(e)) return;
    e.preventDefault();
    this.depth++;
    this.root.classList.add('is-dragging');
  }

  private dragOver(e: DragEvent): void {
    if (!ImageIntake.carriesFiles(e)) return;
    e.preventDefault(); // required for the drop event to fire at all
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  }

  private dragLeave(): void {
    // dragleave fires for every child crossed; only the last one out hides the overlay.
    this.depth = Math.max(0, this.depth - 1);
    if (this.depth === 0) this.root.classList.remove('is-dragging');
  }

  private drop(e: DragEvent): void {
    this.depth = 0;
    this.root.classList.remove('is-dragging');
    if (!e.dataTransfer || !ImageIntake.carriesFiles(e)) return;
    e.preventDefault(); // otherwise the webview would navigate to the file
    const files = e.dataTransfer.files;
    const file = firstImage(files);
    if (!file) {
      if (files.length > 0) this.onReject(`“${files[0].name}” is not an image. Drop a PNG, JPEG, GIF, WebP or BMP file.`);
      return;
    }
    void this.take(file, file.name || 'Dropped image');
  }

  private async take(file: File, fallbackName: string): Promise<void> {
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      this.onImage({ name: file.name || fallbackName, dataBase64: bytesToBase64(bytes) });
    } catch (err) {
      this.onReject(`Could not read the image: ${String(err)}. Try saving it to a file and opening that instead.`);
    }
  }
}
