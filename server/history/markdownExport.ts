/**
 * A history session as a Markdown file: the question as title, the image, the thought with the
 * panel's numbering ("Step 3", "Reflection 2 (backtrack)": steps, reflections and solution steps
 * counted separately, by protocol/segmentLabels.ts, and laid out exactly like the panel's "Copy
 * as Markdown"), the solution and boxed answer(s), and a footer with the session's facts. The
 * model's text, math and code included, is copied verbatim.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HistoryImage, HistorySession, HistorySummary } from '../../protocol/history';
import { thoughtToMarkdown } from '../../protocol/thoughtMarkdown';
import type { EndReason } from '../../protocol/thought';

export interface MarkdownOptions {
  /** The file the Markdown is written to: the image link is made relative to its folder. */
  exportPath?: string;
}

const ENDED: Record<EndReason, string> = {
  stop: 'finished',
  length: 'stopped at the max-tokens budget',
  cancelled: 'stopped by the user',
  error: 'interrupted by an error',
};

export function sessionToMarkdown(session: HistorySession, options: MarkdownOptions = {}): string {
  const s = session.summary;
  const out = [`# Virgo: ${oneLine(s.question)}`, imageReference(s.image, options.exportPath)];
  // The thought and answer exactly as the panel's "Copy thought as Markdown" writes them.
  out.push(thoughtToMarkdown(session.segments, session.answer).replace(/\n$/, ''));
  if (s.endReason !== 'stop') out.push(`*The session did not finish: it was ${ENDED[s.endReason]}.*`);
  out.push('---', footer(s));
  return `${out.join('\n\n')}\n`;
}

/** The original file as a relative image link when known, else its name and size. */
export function imageReference(image: HistoryImage, exportPath?: string): string {
  const facts = `${image.width}×${image.height} px, sent as ${image.sentWidth}×${image.sentHeight} ` +
    `(${count(image.imageTokens)} visual tokens, ${kilobytes(image.bytes)})`;
  if (!image.path) return `Image: **${escapeText(image.name)}** · ${facts}`;
  return `![${escapeText(image.name)}](${linkTo(image.path, exportPath)})\n\n*${escapeText(image.name)}* · ${facts}`;
}

function linkTo(file: string, exportPath: string | undefined): string {
  if (exportPath) {
    const relative = path.relative(path.dirname(path.resolve(exportPath)), file);
    // Another drive (Windows) has no relative path: fall through to a file URL.
    if (!path.isAbsolute(relative)) {
      const posix = relative.split(path.sep).join('/');
      return `<${posix.replace(/[<>]/g, encodeURIComponent)}>`;
    }
  }
  return pathToFileURL(file).href;
}

function footer(s: HistorySummary): string {
  const r = s.reflections;
  const reflections = r.verify + r.backtrack + r.alternative;
  const usage = s.usage ? ` · usage: ${count(s.usage.prompt_tokens)} prompt + ${count(s.usage.completion_tokens)} completion` : '';
  return [
    `- **Model:** \`${s.model || 'unknown'}\`${s.backend ? ` on ${escapeText(s.backend)}` : ''}`,
    `- **Tokens:** ${count(s.thoughtTokens)} in the thought, ${count(s.chunks)} in all (stream chunks)${usage}`,
    `- **Reflections:** ${count(reflections)} (${count(r.verify)} verify · ${count(r.backtrack)} backtrack · ${count(r.alternative)} alternative) in ${count(s.segments)} segments`,
    `- **Ended:** ${ENDED[s.endReason]} (${s.endReason}) after ${(s.durationMs / 1000).toFixed(1)} s`,
    `- **Date:** ${new Date(s.createdAt).toISOString()}`,
  ].join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function escapeText(text: string): string {
  return oneLine(text).replace(/[\\`*_[\]<>#|]/g, '\\$&');
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function kilobytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KiB`;
}
