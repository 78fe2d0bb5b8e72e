/**
 * Turns the bytes of an OpenAI-compatible chat-completions stream into typed items.
 * Framing is eventsource-parser's job (lines may arrive split across TCP reads, with \r\n or
 * \n); this file only knows what vLLM, SGLang and Ollama put inside the events.
 */
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import type { Usage } from '../../protocol/thought';
import { readServerError } from './backendErrors';

export interface BackendChunk {
  content?: string;
  /** From delta.reasoning (newer vLLM) or delta.reasoning_content (older), never both. */
  reasoning?: string;
  finishReason?: string;
  usage?: Usage;
}

export type SseItem =
  | { type: 'chunk'; chunk: BackendChunk }
  | { type: 'done' }
  /** An error the server reported inside the stream (vLLM sends it, then [DONE]). */
  | { type: 'error'; message: string; code?: unknown };

export type Interpreted = SseItem | { type: 'skip' } | { type: 'malformed'; why: string };

/** Stateful: one decoder per response. */
export class ChatStreamDecoder {
  // Multi-byte UTF-8 characters (CJK, math symbols) can straddle two TCP reads.
  private readonly utf8 = new StringDecoder('utf8');
  private readonly parser: EventSourceParser;
  private items: SseItem[] = [];

  constructor(private readonly onWarning?: (message: string) => void) {
    this.parser = createParser({
      onEvent: (event) => this.onEvent(event),
      onError: (error) => this.onWarning?.(`Ignored a malformed line in the stream: ${error.message}`),
      // Comments (": keep-alive") and retry fields mean nothing for a one-shot POST.
    });
  }

  /** Feeds bytes; returns the items completed by them, in order. */
  push(bytes: Buffer | string): SseItem[] {
    this.parser.feed(typeof bytes === 'string' ? bytes : this.utf8.write(bytes));
    return this.take();
  }

  /** At end of input: flushes a last event that lacked its blank line (lenient, unlike browsers). */
  end(): SseItem[] {
    const rest = this.utf8.end();
    if (rest) this.parser.feed(rest);
    this.parser.feed('\n\n');
    return this.take();
  }

  private take(): SseItem[] {
    const out = this.items;
    this.items = [];
    return out;
  }

  private onEvent(event: EventSourceMessage): void {
    const result =
      event.event === 'error' ? asErrorEvent(event.data) : interpretData(event.data);
    if (result.type === 'skip') return;
    if (result.type === 'malformed') {
      this.onWarning?.(`Skipped a malformed stream event (${result.why}): ${preview(event.data)}`);
      return;
    }
    this.items.push(result);
  }
}

/** One event's data field, as vLLM writes it. */
export function interpretData(data: string): Interpreted {
  const text = data.trim();
  if (text === '') return { type: 'skip' };
  if (text === '[DONE]') return { type: 'done' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { type: 'malformed', why: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { type: 'malformed', why: 'not an object' };
  }
  const error = readServerError(value);
  if (error) return { type: 'error', message: error.message, code: error.code };

  const o = value as Record<string, unknown>;
  const chunk: BackendChunk = {};
  const choice = firstChoice(o.choices);
  if (choice) {
    const delta = (typeof choice.delta === 'object' && choice.delta !== null ? choice.delta : {}) as Record<string, unknown>;
    if (typeof delta.content === 'string' && delta.content !== '') chunk.content = delta.content;
    // Some vLLM versions send both names with the same text; take one.
    const reasoning = nonEmpty(delta.reasoning) ?? nonEmpty(delta.reasoning_content);
    if (reasoning !== undefined) chunk.reasoning = reasoning;
    if (typeof choice.finish_reason === 'string') chunk.finishReason = choice.finish_reason;
  }
  const usage = readUsage(o.usage);
  if (usage) chunk.usage = usage;
  return Object.keys(chunk).length > 0 ? { type: 'chunk', chunk } : { type: 'skip' };
}

/** A whole chat.completion (a server that ignored stream:true) as one chunk. */
export function interpretCompletion(text: string): { type: 'chunk'; chunk: BackendChunk } | { type: 'error'; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { type: 'error', message: `unreadable JSON: ${preview(text)}` };
  }
  const error = readServerError(value);
  if (error) return { type: 'error', message: error.message };
  const o = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const choice = firstChoice(o.choices);
  const message = (choice?.message ?? {}) as Record<string, unknown>;
  const chunk: BackendChunk = {};
  if (typeof message.content === 'string') chunk.content = message.content;
  const reasoning = nonEmpty(message.reasoning) ?? nonEmpty(message.reasoning_content);
  if (reasoning !== undefined) chunk.reasoning = reasoning;
  if (typeof choice?.finish_reason === 'string') chunk.finishReason = choice.finish_reason;
  const usage = readUsage(o.usage);
  if (usage) chunk.usage = usage;
  return { type: 'chunk', chunk };
}

function asErrorEvent(data: string): Interpreted {
  try {
    const error = readServerError(JSON.parse(data));
    if (error) return { type: 'error', message: error.message, code: error.code };
  } catch {
    // plain-text error event
  }
  return { type: 'error', message: data.trim() || 'unknown error' };
}

function firstChoice(choices: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(choices) || choices.length === 0) return undefined;
  const objects = choices.filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null);
  return objects.find((c) => c.index === 0) ?? objects[0];
}

function readUsage(u: unknown): Usage | undefined {
  if (typeof u !== 'object' || u === null) return undefined;
  const o = u as Record<string, unknown>;
  const prompt = typeof o.prompt_tokens === 'number' ? o.prompt_tokens : 0;
  const completion = typeof o.completion_tokens === 'number' ? o.completion_tokens : 0;
  const total = typeof o.total_tokens === 'number' ? o.total_tokens : prompt + completion;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: total };
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function preview(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 80 ? one.slice(0, 80) + '…' : one;
}
