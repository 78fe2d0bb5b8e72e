/**
 * Is a backend alive, what does it serve, and how long may an answer be there. vLLM and SGLang
 * answer GET /health at the server root (200 alive, 503 engine dead); servers without it (Ollama,
 * LM Studio) answer 404, and then GET {base}/models is the check. vLLM's model cards carry
 * max_model_len, which bounds prompt + answer: a max_tokens beyond it is refused with a 400.
 */
import { getHealth, listModels, type BackendOptions, type ModelInfo } from './backendClient';
import { BackendError, displayUrl } from './backendErrors';

/** A probe is a quick look, not a session: short limits, no retries. */
export const PROBE_IDLE_TIMEOUT_MS = 10_000;
export const PROBE_CONNECT_TIMEOUT_MS = 5_000;

export interface HealthReport {
  /** The server answered and says its engine is alive: sessions may go there. */
  alive: boolean;
  /** What decided: the root's /health, or /models when the server has no /health. */
  via: 'health' | 'models';
  /** What GET {base}/models listed; absent when it could not be read. */
  models?: ModelInfo[];
  /** Why it is not alive, or why the model list could not be read though it is (e.g. a wrong key). */
  error?: BackendError;
}

/** The server root of a base URL: http://h:8000/v1 → http://h:8000 (a base without /v1 is its own root). */
export function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/i, '');
}

/**
 * GET {root}/health, then GET {base}/models for the model ids and max_model_len. A /health
 * answering 4xx (404 on Ollama) means "no such endpoint": /models decides instead. Refused,
 * unreachable, timed out or 5xx: not alive.
 */
export async function probeBackend(o: BackendOptions): Promise<HealthReport> {
  const q: BackendOptions = {
    ...o,
    maxRetries: 0,
    idleTimeoutMs: o.idleTimeoutMs ?? PROBE_IDLE_TIMEOUT_MS,
    connectTimeoutMs: o.connectTimeoutMs ?? PROBE_CONNECT_TIMEOUT_MS,
  };
  delete q.onRetry;
  let via: HealthReport['via'] = 'health';
  try {
    await getHealth(q, serverRoot(o.baseUrl));
  } catch (e) {
    const error = asBackendError(e);
    if (error.kind === 'cancelled') throw error;
    if (unreachable(error)) return { alive: false, via, error };
    via = 'models';
  }
  try {
    return { alive: true, via, models: await listModels(q) };
  } catch (e) {
    const error = asBackendError(e);
    if (error.kind === 'cancelled') throw error;
    // A model list we may not read (401) or cannot parse does not make a live server dead.
    return { alive: !unreachable(error), via, error };
  }
}

/** The server cannot take requests: no connection, no answer in time, or a 5xx. */
function unreachable(e: BackendError): boolean {
  if (e.kind === 'http') return (e.status ?? 500) >= 500;
  return e.kind === 'connection' || e.kind === 'timeout' || e.kind === 'idle';
}

function asBackendError(e: unknown): BackendError {
  return e instanceof BackendError ? e : new BackendError('protocol', String((e as Error)?.message ?? e));
}

/**
 * The model a session asks for and what is known of it: the wanted one (with its card when the
 * server lists it), or the first one served.
 */
export function modelFrom(models: ModelInfo[], wanted: string | undefined, baseUrl: string): ModelInfo {
  const id = wanted?.trim();
  if (id) return models.find((m) => m.id === id) ?? { id };
  if (models.length === 0) {
    throw new BackendError(
      'protocol',
      `The server at ${displayUrl(baseUrl)} serves no models. Check that vLLM finished loading the model, ` +
        'or set the model name explicitly.',
    );
  }
  return models[0];
}

/** Qwen2-VL's chat template around the text: role tags, <|vision_start|>/<|vision_end|>, newlines. */
export const TEMPLATE_TOKENS = 32;
/** Room left for the estimate being off. */
export const CONTEXT_MARGIN_TOKENS = 64;
/** Never ask for fewer than this, however full the context looks: a refusal says more than a stub. */
export const MIN_MAX_TOKENS = 256;

/**
 * Tokens of `text` for a Qwen2 tokenizer, erring high: about 4 characters a token in English,
 * fewer in LaTeX, one a character in CJK, so 3 characters a token, CJK counted one each.
 */
export function estimateTextTokens(text: string): number {
  let wide = 0;
  let other = 0;
  for (const ch of text) {
    if (ch.codePointAt(0)! >= 0x2e80) wide++;
    else other++;
  }
  return wide + Math.ceil(other / 3);
}

/** Every text part of a chat request's messages (system, question, a continued answer), images left out. */
export function promptTextOf(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<{ content?: unknown }>) : [];
  const parts: string[] = [];
  for (const m of messages) {
    if (typeof m?.content === 'string') parts.push(m.content);
    else if (Array.isArray(m?.content)) {
      for (const p of m.content as Array<{ type?: unknown; text?: unknown }>) if (p?.type === 'text' && typeof p.text === 'string') parts.push(p.text);
    }
  }
  return parts.join('\n');
}

export interface MaxTokensFit {
  /** What to send as max_tokens. */
  maxTokens: number;
  requested: number;
  /** maxTokens is below what was asked for. */
  capped: boolean;
  /** The estimated prompt: image tokens + text estimate + template. */
  promptTokens: number;
  maxModelLen?: number;
}

/**
 * max_tokens so that prompt + answer fit max_model_len: min(requested, max_model_len − prompt
 * estimate − margin), never below MIN_MAX_TOKENS (unless less was asked for). Unknown
 * max_model_len: the request as asked.
 */
export function fitMaxTokens(p: { requested: number; maxModelLen?: number; imageTokens: number; promptText: string }): MaxTokensFit {
  const promptTokens = p.imageTokens + estimateTextTokens(p.promptText) + TEMPLATE_TOKENS;
  if (!p.maxModelLen || p.maxModelLen <= 0) return { maxTokens: p.requested, requested: p.requested, capped: false, promptTokens };
  const room = p.maxModelLen - promptTokens - CONTEXT_MARGIN_TOKENS;
  const maxTokens = Math.min(p.requested, Math.max(room, MIN_MAX_TOKENS));
  return { maxTokens, requested: p.requested, capped: maxTokens < p.requested, promptTokens, maxModelLen: p.maxModelLen };
}
