import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { CompareSamplesResult, CompareToHost, HostToCompare, SampleStatus } from '../protocol/compare';
import * as lsp from '../protocol/lsp';
import type { Answer, EndReason, ReasonEvent, Segment, Usage } from '../protocol/thought';
import { readSettings } from './config';
import { WebviewHost } from './webviewHost';
import { openLinkWithConsent, type RecordedSession } from './reasoningPanel';
import type { VirgoServer } from './virgoServer';

export interface ComparePanelDeps {
  extensionUri: vscode.Uri;
  server: VirgoServer;
  apiKey(): Promise<string | undefined>;
  log: vscode.LogOutputChannel;
  /** Opens a finished sample as a full session in a reasoning panel. */
  openInPanel(session: RecordedSession): Promise<void>;
  onBackendUsed(): void;
}

/** What is sampled: a prepared image (its file, when there is one) and a question. */
export interface SampleRun {
  image: lsp.PrepareImageResult;
  imagePath?: string;
  question: string;
  count: number;
  temperature: number;
}

interface Sample {
  sessionId: string;
  segments: Segment[];
  answer: Answer | null;
  start: Extract<ReasonEvent, { type: 'start' }> | null;
  usage: Usage | null;
  /** Set when the session has ended. */
  end: EndReason | null;
}

const END_STATUS: Record<EndReason, SampleStatus> = { stop: 'done', length: 'length', cancelled: 'cancelled', error: 'error' };

/**
 * "Virgo: Compare N samples": N sessions of one question run concurrently at temperature > 0 (the
 * server's session queue bounds how many stream at once), each forwarded to the compare webview as
 * it arrives; the server says how the answers agree and where the traces part.
 */
export class ComparePanel implements vscode.Disposable {
  static readonly viewType = 'virgo.compare';

  private readonly view: WebviewHost<HostToCompare>;
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly samples: Sample[];
  private disposed = false;
  private readonly createdAt = Date.now();
  /** Agreement requests go out as samples end; only the newest answer is shown. */
  private agreementSeq = 0;
  private shownSeq = 0;
  /** Resolves when every sample has ended and the final agreement is posted (tests, scripts). */
  readonly finished: Promise<CompareSamplesResult | null>;

  constructor(private readonly deps: ComparePanelDeps, private readonly run: SampleRun) {
    this.view = new WebviewHost(ComparePanel.viewType, `Virgo: Compare ${run.count} samples`, vscode.ViewColumn.Active, deps.extensionUri, {
      script: 'compare.js', styles: ['panel.css', 'compare.css'], title: 'Virgo: Compare samples',
    });
    this.panel = this.view.panel;
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((m: CompareToHost) => void this.onMessage(m).catch((e) => deps.log.error(String(e)))),
      this.panel.onDidDispose(() => this.dispose()),
    );
    this.samples = Array.from({ length: run.count }, () => ({ sessionId: randomUUID(), segments: [], answer: null, start: null, usage: null, end: null }));
    this.post({ type: 'init', question: run.question, imageName: run.image.name, count: run.count, temperature: run.temperature });
    this.finished = this.start();
  }

  private async start(): Promise<CompareSamplesResult | null> {
    this.deps.onBackendUsed();
    const settings = { ...readSettings(), temperature: this.run.temperature };
    const apiKey = await this.deps.apiKey();
    this.deps.log.info(`sampling ${this.run.count} traces at temperature ${this.run.temperature}`);
    await Promise.all(this.samples.map(async (sample, i) => {
      this.post({ type: 'status', sample: i, status: 'queued' });
      let result: lsp.ReasonResult;
      try {
        result = await this.deps.server.reason(
          { sessionId: sample.sessionId, imageId: this.run.image.imageId, question: this.run.question, settings, ...(apiKey ? { apiKey } : {}) },
          (u) => this.onUpdate(i, u),
        );
      } catch (e) {
        result = { reason: 'error', error: `The Virgo language server failed: ${(e as Error).message}` };
      }
      sample.end = result.reason;
      this.post({ type: 'end', sample: i, reason: result.reason, ...(result.error ? { error: result.error } : {}) });
      // A stop is its own explanation; an error says what went wrong.
      this.post({ type: 'status', sample: i, status: END_STATUS[result.reason], ...(result.reason === 'error' && result.error ? { detail: result.error } : {}) });
      if (result.error) this.deps.log.warn(`sample ${i + 1} ended with an error: ${result.error}`);
      if (this.samples.some((s) => s.end === null)) await this.compare(false);
    }));
    const final = await this.compare(true);
    const majority = final?.agreement.majority;
    this.deps.log.info(`samples compared: ${majority ? `${majority.traces.length} of ${this.run.count} say ${majority.answer}` : 'no answers'}`);
    return final;
  }

  private onUpdate(i: number, u: lsp.SessionUpdate | lsp.SessionNotice): void {
    const sample = this.samples[i];
    if (u.kind === 'queued') this.post({ type: 'status', sample: i, status: 'queued', detail: `${u.ahead} ahead` });
    else if (u.kind === 'progress') this.post({ type: 'progress', sample: i, chunks: u.chunks });
    else if (u.kind === 'retrying') this.post({ type: 'status', sample: i, status: 'queued', detail: `retrying: ${u.reason}` });
    else if (u.kind === 'event') {
      const e = u.event;
      if (e.type === 'start') {
        sample.start = e;
        this.post({ type: 'status', sample: i, status: 'streaming' });
      } else if (e.type === 'segment') {
        const { type: _type, ...segment } = e;
        sample.segments.push(segment);
        this.post({ type: 'segments', sample: i, segments: [segment] });
      } else if (e.type === 'answer') {
        sample.answer = { text: e.text, boxed: e.boxed };
        this.post({ type: 'answer', sample: i, answer: sample.answer });
      } else if (e.type === 'end') sample.usage = e.usage;
    }
    // Notices (max tokens capped, failover) are the same for every sample: the log has them.
    else this.deps.log.info(`sample ${i + 1}: ${u.kind}`);
  }

  /** Asks the server how the samples agree so far; posts the answer unless a newer one came first. */
  private async compare(final: boolean): Promise<CompareSamplesResult | null> {
    const seq = ++this.agreementSeq;
    try {
      const result = await this.deps.server.request(lsp.compareSamples, {
        boxed: this.samples.map((s) => s.answer?.boxed ?? []),
        traces: this.samples.map((s) => s.segments),
      });
      if (seq > this.shownSeq) {
        this.shownSeq = seq;
        this.post({ type: 'agreement', result, final });
      }
      return result;
    } catch (e) {
      this.deps.log.error(`comparing samples failed: ${(e as Error).message}`);
      return null;
    }
  }

  /** Stop: every sample still running is cancelled (its partial trace stays). */
  async stop(): Promise<void> {
    await Promise.all(this.samples.filter((s) => s.end === null).map((s) => this.deps.server.cancel(s.sessionId)));
  }

  private async onMessage(m: CompareToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.view.pageReady();
        return;
      case 'stop': return this.stop();
      case 'openSample': return this.openSample(m.sample);
      case 'openLink': return openLinkWithConsent(m.href);
    }
  }

  /** A finished sample in a reasoning panel, replayed like a history session (every segment navigable). */
  async openSample(i: number): Promise<void> {
    const s = this.samples[i];
    if (!s || s.end === null || !s.start) {
      void vscode.window.showInformationMessage(`Virgo: sample ${i + 1} has not finished yet; open it when it has.`);
      return;
    }
    const { name, info, thumbnailBase64 } = this.run.image;
    await this.deps.openInPanel({
      question: this.run.question,
      model: s.start.model,
      createdAt: this.createdAt,
      start: s.start,
      segments: s.segments,
      answer: s.answer ?? { text: '', boxed: [] },
      end: { reason: s.end, usage: s.usage },
      image: { name: `${name} (sample ${i + 1})`, info, thumbnailBase64 },
      ...(this.run.imagePath ? { imagePath: this.run.imagePath } : {}),
    });
  }

  private post(message: HostToCompare): void {
    this.view.post(message);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.stop();
    this.view.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
