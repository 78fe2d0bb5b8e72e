/**
 * Where a batch item is sent: the batch asks one function, `backendFor()`, for each item. Always
 * through a ReplicaPool (server/backend/replicaPool.ts): with several URLs (replicas of one
 * backend) each item goes to the healthy replica with the fewest requests in flight (ties
 * round-robin) and moves to another when its replica fails before streaming; with one, the pool
 * still keeps the served models' max_model_len, which caps every item's max_tokens.
 */
import { listModels, type BackendOptions } from '../backend/backendClient';
import { BackendError, displayUrl } from '../backend/backendErrors';
import { ReplicaPool } from '../backend/replicaPool';
import type { SessionBackend } from '../reasoning/reasonSession';

export interface BackendChoice {
  /** What runReasoning gets. */
  backend: SessionBackend;
  /** The URL the item goes to, for its result line; undefined when the pool decides per request. */
  label?: string;
}

export type BackendFor = () => BackendChoice;

/** `--backend` values, each possibly a comma-separated list, as one list of base URLs (order kept, duplicates dropped). */
export function splitBackendUrls(values: readonly string[]): string[] {
  const urls = values.flatMap((v) => v.split(',')).map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean);
  return [...new Set(urls)];
}

/** The backendFor() of a batch over these URLs; `options` are everything but the URL. */
export function backendsFor(urls: readonly string[], options: Omit<BackendOptions, 'baseUrl'>): BackendFor {
  if (urls.length === 0) throw new Error('backendsFor: no backend URLs');
  // A pool even for one URL: it keeps the model list (max_model_len caps each item's max_tokens)
  // instead of asking GET /models before every item.
  const pool = new ReplicaPool('virgo batch', urls);
  const label = urls.length === 1 ? displayUrl(urls[0]) : undefined;
  return () => ({ backend: { ...options, baseUrl: urls[0], pool }, label });
}

export interface BackendCheck {
  url: string;
  /** Why the backend cannot take items (unreachable, wrong key, no model). */
  error?: BackendError;
  /** Something to tell the user that does not stop the batch. */
  warning?: string;
}

/**
 * GET /models on every backend before any item: a dead or misconfigured one is found at once,
 * not after an hour of failed items.
 */
export function checkBackends(urls: readonly string[], options: Omit<BackendOptions, 'baseUrl'>, model?: string): Promise<BackendCheck[]> {
  return Promise.all(urls.map(async (url): Promise<BackendCheck> => {
    try {
      const models = await listModels({ ...options, baseUrl: url });
      if (models.length === 0) {
        return { url, error: new BackendError('protocol', `${displayUrl(url)} serves no models. Check that vLLM finished loading the model.`) };
      }
      if (model && !models.some((m) => m.id === model)) {
        return { url, warning: `${displayUrl(url)} does not list the model "${model}" (it serves ${models.map((m) => m.id).join(', ')}); its requests may fail.` };
      }
      return { url };
    } catch (e) {
      return { url, error: e instanceof BackendError ? e : new BackendError('protocol', String((e as Error)?.message ?? e)) };
    }
  }));
}
