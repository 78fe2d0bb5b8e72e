import type { ReasonEvent } from '../../protocol/thought';
import { formatBytes } from './prepareCommand';

const REFLECTION_MARK = { verify: '✓', backtrack: '↺', alternative: '⇄' } as const;

/**
 * The CLI's readable output: one block a segment, steps numbered, reflections marked with their
 * type, the phase named when it changes, the answer and a summary last. Progress (a token count)
 * goes to stderr and only on a terminal.
 */
export class ThoughtPrinter {
  private steps = 0;
  private reflections = 0;
  private phase: string | undefined;
  private readonly color: boolean;
  private readonly started = Date.now();
  private progressShown = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly err: NodeJS.WriteStream,
  ) {
    this.color = Boolean(out.isTTY) && !process.env.NO_COLOR;
  }

  event(e: ReasonEvent): void {
    this.clearProgress();
    switch (e.type) {
      case 'start':
        this.write(this.dim(`Virgo · ${e.model} · ${e.file}: ${e.width}×${e.height} sent as ${e.sentWidth}×${e.sentHeight}` +
          ` (${e.imageTokens.toLocaleString('en-US')} visual tokens, ${formatBytes(e.bytes)})`) + '\n');
        break;
      case 'segment': {
        if (e.phase !== this.phase) {
          this.phase = e.phase;
          this.write('\n' + this.bold(e.phase === 'thought' ? 'Thought' : 'Solution') + '\n');
        }
        let label: string;
        if (e.kind === 'reflection' && e.reflection) {
          this.reflections++;
          label = this.yellow(`${REFLECTION_MARK[e.reflection]} Reflection ${this.reflections} · ${e.reflection}`);
        } else {
          this.steps++;
          label = this.cyan(`Step ${this.steps}`);
        }
        const meta = this.dim(` (${e.tokens} tok, ${(e.ms / 1000).toFixed(1)} s)`);
        this.write(`\n${label}${meta}\n${indent(e.text)}\n`);
        break;
      }
      case 'answer':
        this.write('\n' + this.bold('Answer: ') + (e.boxed.length ? e.boxed.join(' ; ') : '(no \\boxed{} answer)') + '\n');
        break;
      case 'end': {
        const secs = ((Date.now() - this.started) / 1000).toFixed(1);
        const tokens = e.usage ? `${e.usage.completion_tokens.toLocaleString('en-US')} tokens · ` : '';
        const summary = `${tokens}${this.steps} steps · ${this.reflections} reflections · ${secs} s`;
        if (e.reason === 'error') this.err.write(`\nvirgo: ${e.error}\n`);
        const why = e.reason === 'length' ? 'stopped at max tokens (raise --max-tokens to let it finish)' : e.reason;
        this.write(this.dim(`\n— ${why} · ${summary}`) + '\n');
        break;
      }
    }
  }

  progress(chunks: number): void {
    if (!this.err.isTTY) return;
    this.err.write(`\r${this.dim(`… ${chunks} tokens`)}`);
    this.progressShown = true;
  }

  private clearProgress(): void {
    if (this.progressShown) this.err.write('\r\x1b[K');
    this.progressShown = false;
  }

  private write(s: string): void { this.out.write(s); }
  private paint(code: string, s: string): string { return this.color ? `\x1b[${code}m${s}\x1b[0m` : s; }
  private bold(s: string) { return this.paint('1', s); }
  private dim(s: string) { return this.paint('2', s); }
  private cyan(s: string) { return this.paint('36', s); }
  private yellow(s: string) { return this.paint('33', s); }
}

function indent(text: string): string {
  return text.split('\n').map((l) => (l ? '  ' + l : l)).join('\n');
}
