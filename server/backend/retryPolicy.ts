import * as http from 'node:http';
import { BackendError, RETRYABLE_CODES } from './backendErrors';

// When the backend client retries, how it names a retry, and its waits: kept apart from the I/O.

export function isRetryable(f: BackendError): boolean {
  if (f.kind === 'http') return f.status === 429 || f.status === 502 || f.status === 503;
  return f.kind === 'connection' && f.code !== undefined && RETRYABLE_CODES.has(f.code);
}

export function retryReason(f: BackendError): string {
  if (f.kind === 'http') return `HTTP ${f.status} ${http.STATUS_CODES[f.status ?? 0] ?? ''}`.trim();
  if (f.code === 'ECONNREFUSED') return 'connection refused';
  return f.code ? `connection error (${f.code})` : f.kind;
}

export function cancelledError(beforeFirstByte: boolean): BackendError {
  return new BackendError('cancelled', 'Cancelled.', { beforeFirstByte });
}

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError(true));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelledError(true));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
