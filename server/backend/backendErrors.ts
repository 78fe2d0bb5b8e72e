/**
 * Errors of the backend client, built by us from status codes and Node error codes only.
 * Raw axios errors are never rethrown: they carry the request config, headers included,
 * and with them the API key.
 */
import { STATUS_CODES } from 'node:http';

export type BackendErrorKind =
  | 'http'
  | 'connection'
  | 'timeout'
  | 'idle'
  | 'stream'
  | 'cancelled'
  | 'protocol';

export interface BackendErrorInit {
  status?: number;
  beforeFirstByte?: boolean;
  code?: string;
  retryAfterMs?: number;
}

export class BackendError extends Error {
  override name = 'BackendError';
  kind: BackendErrorKind;
  /** HTTP status of an 'http' error, or the code of an error chunk when it is one. */
  status?: number;
  /**
   * True when no byte of the (successful) response body had arrived: nothing was streamed,
   * so the request can be sent again as is.
   */
  beforeFirstByte: boolean;
  /** The Node/OS code behind a connection error (ECONNREFUSED, ENOTFOUND, …). */
  code?: string;
  /** The server's Retry-After in milliseconds, when it sent one. */
  retryAfterMs?: number;

  constructor(kind: BackendErrorKind, message: string, init: BackendErrorInit = {}) {
    super(message);
    this.kind = kind;
    this.beforeFirstByte = init.beforeFirstByte ?? false;
    if (init.status !== undefined) this.status = init.status;
    if (init.code !== undefined) this.code = init.code;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }
}

export function isCancelled(e: unknown): boolean {
  if (e instanceof BackendError) return e.kind === 'cancelled';
  const x = e as { name?: unknown; code?: unknown } | null;
  return typeof x === 'object' && x !== null && (x.name === 'AbortError' || x.code === 'ERR_CANCELED');
}

/** Replaces every occurrence of the secret, in case a server or proxy echoes it back. */
export function redact(text: string, secret?: string): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join('[redacted]');
}

/** The URL as shown to users: without user:password@, which may hold a credential. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

/** Retry-After as seconds or an HTTP-date, in ms (≥ 0), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface ServerError {
  message: string;
  type?: string;
  code?: unknown;
}

/**
 * The message inside an error body or error chunk: vLLM ≥ 0.10.1's `{"error":{…}}`, the flat
 * `{"object":"error",…}` of older vLLM and SGLang, vLLM's auth middleware `{"error":"…"}`,
 * and FastAPI's `{"detail":…}`. Undefined when the value is none of these.
 */
export function readServerError(value: unknown): ServerError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o.error === 'string') return { message: o.error };
  if (typeof o.error === 'object' && o.error !== null) {
    const e = o.error as Record<string, unknown>;
    return { message: stringOf(e.message) ?? JSON.stringify(e), type: stringOf(e.type), code: e.code };
  }
  if (o.object === 'error') {
    return { message: stringOf(o.message) ?? 'unknown error', type: stringOf(o.type), code: o.code };
  }
  if (typeof o.detail === 'string') return { message: o.detail };
  if (Array.isArray(o.detail)) {
    const parts = o.detail.map((d) => {
      const item = d as { msg?: unknown; loc?: unknown };
      const where = Array.isArray(item.loc) ? item.loc.join('.') : '';
      return `${where ? where + ': ' : ''}${stringOf(item.msg) ?? JSON.stringify(d)}`;
    });
    return { message: parts.join('; ') };
  }
  return undefined;
}

/** What the server said, from a JSON error body, a plain-text body or an HTML page. */
export function serverTextOf(body: string): string {
  const trimmed = body.trim();
  if (trimmed === '') return '';
  try {
    const parsed = readServerError(JSON.parse(trimmed));
    if (parsed) return parsed.message;
  } catch {
    // not JSON: plain text or a proxy's HTML page
  }
  // A proxy's HTML page: its title says it all ("502 Bad Gateway").
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1];
  const text = title ?? (/^\s*</.test(trimmed) ? trimmed.replace(/<[^>]*>/g, ' ') : trimmed);
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 400 ? oneLine.slice(0, 400) + '…' : oneLine;
}

export interface HttpErrorContext {
  status: number;
  statusText?: string;
  body: string;
  baseUrl: string;
  model?: string;
  apiKey?: string;
  retryAfterMs?: number;
}

export function httpError(c: HttpErrorContext): BackendError {
  const statusText = c.statusText || STATUS_CODES[c.status] || '';
  const said = serverTextOf(c.body);
  const head = `Backend answered ${c.status}${statusText ? ' ' + statusText : ''}`;
  // vLLM's auth middleware says just "Unauthorized": no need to say it twice.
  const repeats = [statusText, `${c.status} ${statusText}`].some((t) => t.toLowerCase() === said.toLowerCase());
  let message = said && !repeats ? `${head}: ${said.replace(/[.\s]+$/, '')}.` : `${head}.`;
  const hint = httpHint(c.status, said, c.baseUrl, c.model);
  if (hint) message += ' ' + hint;
  return new BackendError('http', redact(message, c.apiKey), {
    status: c.status,
    beforeFirstByte: true,
    ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {}),
  });
}

function httpHint(status: number, said: string, baseUrl: string, model?: string): string {
  const base = displayUrl(baseUrl).replace(/\/+$/, '');
  switch (status) {
    case 401:
    case 403:
      return 'Check the API key (Virgo: Set API Key / $VIRGO_API_KEY).';
    case 404:
      // A wrong model and a wrong base URL both give 404; the body tells them apart.
      if (/model/i.test(said) || (model && said.includes(model))) {
        return (
          `The model ${model ? `"${model}" ` : ''}isn't served by ${base}. ` +
          `See the served models with \`curl ${base}/models\` and use one of their ids ` +
          '(or leave the model empty to use the first one).'
        );
      }
      return `Check the base URL: it usually ends in /v1 (e.g. http://HOST:8000/v1); \`curl ${base}/models\` should list the models.`;
    case 400:
      if (/image/i.test(said) && /(at most|limit|exceed|maximum)/i.test(said)) {
        return "Raise the server's image limit (vllm serve … --limit-mm-per-prompt '{\"image\":4}').";
      }
      return '';
    case 429:
      return 'The server is busy or rate-limited; try again later.';
    case 502:
    case 503:
    case 504:
      return 'The server (or a proxy in front of it) is unavailable: is vLLM still loading the model, or did its engine die? See its log and GET /health.';
    default:
      return status >= 500 ? 'The server failed; see its log.' : '';
  }
}

const TLS_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Node error codes worth retrying before the first byte: the server may be (re)starting. */
export const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EAI_AGAIN']);

export interface ConnectionErrorContext {
  code?: string;
  /** The underlying error's message (e.g. "connect ECONNREFUSED 127.0.0.1:8000"). */
  detail: string;
  url: string;
  apiKey?: string;
}

export function connectionError(c: ConnectionErrorContext): BackendError {
  const url = displayUrl(c.url);
  let host = url;
  try {
    host = new URL(c.url).host;
  } catch {
    // keep the whole URL
  }
  const code = c.code ?? '';
  let message: string;
  if (code === 'ERR_INVALID_URL') {
    message = `The base URL is not a valid URL (${url}). Use the form http://HOST:8000/v1.`;
  } else if (code === 'ECONNREFUSED') {
    message =
      `Could not connect to ${url}: connection refused. Is the server running? ` +
      'Start it with `vllm serve RUC-AIBOX/Virgo-72B --served-model-name virgo-72b …` ' +
      '(default port 8000), and check the base URL (host and port).';
  } else if (code === 'ENOTFOUND') {
    message = `Could not find the host ${host} (${url}): unknown host. Check the base URL, and your VPN or SSH tunnel if the server is private.`;
  } else if (code === 'EAI_AGAIN') {
    message = `Could not look up the host ${host} (${url}): DNS is not answering. Check your network or VPN, then try again.`;
  } else if (code === 'ECONNRESET' || code === 'EPIPE') {
    message = `The server at ${url} closed the connection before answering. If it serves HTTPS, use https:// (and http:// for plain HTTP); check any proxy in between.`;
  } else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    message = `Could not reach ${url}: no route to the host. Check your network, VPN or SSH tunnel.`;
  } else if (TLS_UNTRUSTED.has(code)) {
    message =
      `The TLS certificate of ${url} is not trusted (${code}). If the server uses a self-signed ` +
      'certificate or a private CA, trust that CA: set virgo.caCertificatePath (or pass --ca-file to the CLI) ' +
      'to its PEM file, or add it to the system store.';
  } else if (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(c.detail)) {
    message = `The TLS handshake with ${url} failed: the server probably speaks plain HTTP. Use http:// in the base URL.`;
  } else if (code.startsWith('HPE_')) {
    message = `The server at ${url} did not answer in HTTP (${code}). If it serves HTTPS, use https:// in the base URL.`;
  } else {
    message = `Could not reach ${url}: ${c.detail || code || 'unknown error'}. Check the base URL and that the server is running.`;
  }
  return new BackendError('connection', redact(message, c.apiKey), {
    beforeFirstByte: true,
    ...(code ? { code } : {}),
  });
}

function stringOf(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
