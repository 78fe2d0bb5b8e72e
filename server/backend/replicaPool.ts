/**
 * Several base URLs (replicas) of one backend. Pools live for the whole language server process,
 * one per backend (its name and URL list), so that requests in flight are counted across every
 * session and window it serves.
 *
 * A request goes to the healthy replica with the fewest requests in flight (ties: round-robin).
 * A replica that fails before streaming (refused, DNS, connect timeout, 502/503, /health 503) is
 * marked down and skipped; it is probed again (GET /health) once its backoff has passed, 5 s
 * doubling to 60 s. When every replica is down, the least recently failed one is tried anyway.
 * A session that failed before the first byte moves on to the next replica; once its answer has
 * started to stream it never moves: a drop mid-answer reaches the user, who can Continue.
 */
import type { BackendSettings } from '../../protocol/settings';
import type { BackendStatusResult, ReplicaStatus } from '../../protocol/lsp';
import { listModels, streamChat, type BackendChunk, type BackendOptions, type ModelInfo } from './backendClient';
import { BackendError, displayUrl } from './backendErrors';
import { modelFrom, probeBackend } from './backendHealth';
import { retryReason } from './retryPolicy';

export const BACKOFF_BASE_MS = 5_000;
export const BACKOFF_MAX_MS = 60_000;
/** How long a replica's model list stands in for a new GET /models (for max_model_len). */
export const MODELS_TTL_MS = 60_000;
/** Pools kept for settings no longer in use (an idle pool beyond this is forgotten). */
const MAX_POOLS = 16;

export interface PoolOptions {
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  now?: () => number;
}

/** Where a session's requests go: one base URL, or a pool's replicas with failover. */
export interface BackendRoute {
  /** The model to ask for (the wanted one, or the first served) and its card when known (max_model_len). */
  resolveModel(wanted: string | undefined): Promise<ModelInfo>;
  streamChat(body: Record<string, unknown>): AsyncGenerator<BackendChunk, void, undefined>;
  /** The session is over: its replica stops counting it. */
  close(): void;
}

/** A failover: the replica left, the one taken, and why. */
export type FailoverListener = (from: string, to: string, reason: string) => void;

export class Replica {
  healthy = true;
  inFlight = 0;
  lastError: string | undefined;
  /** Failures in a row; the backoff doubles with each. */
  failures = 0;
  failedAt = 0;
  retryAt = 0;
  models: ModelInfo[] | undefined;
  modelsAt = 0;
  probing: Promise<void> | undefined;
  constructor(readonly url: string) {}
}

export interface Lease {
  replica: Replica;
  release(): void;
}

/**
 * What a failure before the first byte says about the replica: 'down' (unreachable or
 * unavailable: mark it, move on), 'busy' (429: move on, it is not down), or undefined (the
 * request itself is wrong, e.g. 400, 401, 404: the user must see it, another replica would say
 * the same).
 */
export function failoverKind(e: BackendError): 'down' | 'busy' | undefined {
  if (!e.beforeFirstByte) return undefined;
  if (e.kind === 'http') return e.status === 429 ? 'busy' : e.status === 502 || e.status === 503 ? 'down' : undefined;
  if (e.kind === 'timeout') return 'down'; // the connection could not be set up in time
  if (e.kind === 'connection') return e.code !== undefined && DOWN_CODES.has(e.code) ? 'down' : undefined;
  return undefined;
}

const DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

export class ReplicaPool {
  readonly replicas: readonly Replica[];
  /** Where round-robin resumes among replicas tied on requests in flight. */
  private cursor = 0;

  constructor(
    readonly name: string,
    urls: readonly string[],
    private readonly options: PoolOptions = {},
  ) {
    if (urls.length === 0) throw new Error('A replica pool needs at least one URL.');
    this.replicas = urls.map((u) => new Replica(u));
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * The replica for a new request, counted in flight at once (so that concurrent sessions spread):
   * the healthy one with the fewest requests in flight, ties round-robin; when none of those not
   * in `exclude` is healthy, the one that failed longest ago. Undefined when all are excluded.
   */
  lease(exclude: ReadonlySet<Replica> = new Set()): Lease | undefined {
    const open = this.replicas.filter((r) => !exclude.has(r));
    if (open.length === 0) return undefined;
    const healthy = open.filter((r) => r.healthy);
    const replica = healthy.length > 0 ? this.fewestInFlight(healthy) : open.reduce((a, b) => (b.failedAt < a.failedAt ? b : a));
    replica.inFlight++;
    let released = false;
    return {
      replica,
      release: () => {
        if (released) return;
        released = true;
        replica.inFlight--;
      },
    };
  }

  private fewestInFlight(candidates: Replica[]): Replica {
    const least = Math.min(...candidates.map((r) => r.inFlight));
    const n = this.replicas.length;
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      const r = this.replicas[i];
      if (r.inFlight === least && candidates.includes(r)) {
        this.cursor = (i + 1) % n;
        return r;
      }
    }
    return candidates[0]; // unreachable: some candidate has the least count
  }

  /** The replica failed before streaming or its probe failed: skip it until its backoff has passed. */
  markDown(r: Replica, error: BackendError | string): void {
    r.lastError = typeof error === 'string' ? error : error.message;
    const now = this.now();
    // Sessions that failed there together, or a probe before the backoff passed, are one failure.
    if (!r.healthy && now < r.retryAt) return;
    r.healthy = false;
    r.failures++;
    r.failedAt = now;
    const base = this.options.backoffBaseMs ?? BACKOFF_BASE_MS;
    r.retryAt = now + Math.min(this.options.backoffMaxMs ?? BACKOFF_MAX_MS, base * 2 ** (r.failures - 1));
  }

  markUp(r: Replica): void {
    if (!r.healthy) r.models = undefined; // it may have come back with another model or context length
    r.healthy = true;
    r.failures = 0;
    r.retryAt = 0;
    r.lastError = undefined;
  }

  noteModels(r: Replica, models: ModelInfo[]): void {
    r.models = models;
    r.modelsAt = this.now();
  }

  /** A replica's known model list, while fresh. */
  knownModels(r: Replica): ModelInfo[] | undefined {
    return r.models && this.now() - r.modelsAt < MODELS_TTL_MS ? r.models : undefined;
  }

  /** Probes, in the background, every down replica whose backoff has passed (once each at a time). */
  probeDue(o: BackendOptions): void {
    const now = this.now();
    for (const r of this.replicas) if (!r.healthy && now >= r.retryAt) void this.probe(r, o);
  }

  /** GET /health and /models on one replica; up or down by the answer. */
  probe(r: Replica, o: BackendOptions): Promise<void> {
    r.probing ??= (async () => {
      try {
        const report = await probeBackend(probeOptions(o, r.url));
        if (!report.alive) {
          this.markDown(r, report.error ?? 'not alive');
          return;
        }
        this.markUp(r);
        if (report.models) this.noteModels(r, report.models);
        if (report.error) r.lastError = report.error.message;
      } catch (e) {
        this.markDown(r, String((e as Error)?.message ?? e));
      } finally {
        r.probing = undefined;
      }
    })();
    return r.probing;
  }

  /** Probes every replica now, and reports. */
  async refresh(o: BackendOptions): Promise<BackendStatusResult> {
    await Promise.all(this.replicas.map((r) => this.probe(r, o)));
    return this.snapshot();
  }

  snapshot(): BackendStatusResult {
    return {
      backendName: this.name,
      replicas: this.replicas.map((r): ReplicaStatus => ({
        url: displayUrl(r.url),
        healthy: r.healthy,
        inFlight: r.inFlight,
        ...(r.lastError ? { lastError: r.lastError } : {}),
        models: (r.models ?? []).map((m) => (m.max_model_len !== undefined ? { id: m.id, maxModelLen: m.max_model_len } : { id: m.id })),
        ...(!r.healthy ? { retryAt: r.retryAt } : {}),
      })),
    };
  }

  /** One session's requests over this pool: `o` as for one URL (its baseUrl is replaced by the replica's). */
  route(o: BackendOptions, onFailover?: FailoverListener): BackendRoute {
    return new PooledRoute(this, o, onFailover);
  }
}

/** A probe in the background belongs to no session: no cancel signal, no retry callbacks. */
function probeOptions(o: BackendOptions, url: string): BackendOptions {
  const { signal: _s, onRetry: _r, onWarning: _w, idleTimeoutMs: _i, ...rest } = o;
  return { ...rest, baseUrl: url };
}

class PooledRoute implements BackendRoute {
  private lease: Lease | undefined;
  /** Replicas this session already failed on: never tried twice. */
  private readonly tried = new Set<Replica>();

  constructor(
    private readonly pool: ReplicaPool,
    private readonly o: BackendOptions,
    private readonly onFailover: FailoverListener | undefined,
  ) {}

  private current(): Replica {
    if (!this.lease) {
      this.pool.probeDue(this.o);
      this.lease = this.pool.lease(this.tried);
      if (!this.lease) throw new Error('unreachable: a new session has every replica to choose from');
    }
    return this.lease.replica;
  }

  /** The replica's options; retries (the client's own backoff) only on the last replica left. */
  private optionsFor(r: Replica): BackendOptions {
    const last = this.pool.replicas.every((x) => x === r || this.tried.has(x));
    return { ...this.o, baseUrl: r.url, ...(last ? {} : { maxRetries: 0 }) };
  }

  async resolveModel(wanted: string | undefined): Promise<ModelInfo> {
    const explicit = wanted?.trim() || undefined;
    for (;;) {
      const r = this.current();
      // An explicit model needs the list only for max_model_len; an empty one, to pick the first served.
      const known = explicit ? this.pool.knownModels(r) : undefined;
      if (known) return modelFrom(known, explicit, r.url);
      try {
        const models = await listModels(this.optionsFor(r));
        this.pool.markUp(r);
        this.pool.noteModels(r, models);
        return modelFrom(models, explicit, r.url);
      } catch (e) {
        if (!(e instanceof BackendError)) throw e;
        if (this.moveOn(r, e)) continue;
        // The model is known and the replica answered: the list was only for its context length.
        if (explicit && e.kind !== 'cancelled' && !failoverKind(e)) return { id: explicit };
        throw e;
      }
    }
  }

  async *streamChat(body: Record<string, unknown>): AsyncGenerator<BackendChunk, void, undefined> {
    for (;;) {
      const r = this.current();
      let streaming = false;
      try {
        for await (const chunk of streamChat(this.optionsFor(r), body)) {
          if (!streaming) {
            streaming = true;
            this.pool.markUp(r);
          }
          yield chunk;
        }
        if (!streaming) this.pool.markUp(r);
        return;
      } catch (e) {
        if (!streaming && e instanceof BackendError && this.moveOn(r, e)) continue;
        // Mid-answer the session stays (the user can Continue); the replica is not judged on one drop.
        if (streaming && e instanceof BackendError && e.kind !== 'cancelled') r.lastError = e.message;
        throw e;
      }
    }
  }

  /** After a failure before the first byte: mark the replica, and take the next one if the failure allows. */
  private moveOn(r: Replica, e: BackendError): boolean {
    const kind = failoverKind(e);
    if (!kind) return false;
    if (kind === 'down') this.pool.markDown(r, e);
    else r.lastError = e.message;
    this.tried.add(r);
    const next = this.pool.lease(this.tried);
    if (!next) return false;
    this.lease?.release();
    this.lease = next;
    this.onFailover?.(displayUrl(r.url), displayUrl(next.replica.url), retryReason(e));
    return true;
  }

  close(): void {
    this.lease?.release();
    this.lease = undefined;
  }
}

/** One base URL, no pool: the CLI and anything else outside the language server. */
export function directRoute(o: BackendOptions): BackendRoute {
  return {
    async resolveModel(wanted) {
      if (wanted?.trim()) return { id: wanted.trim() };
      return modelFrom(await listModels(o), undefined, o.baseUrl);
    },
    streamChat: (body) => streamChat(o, body),
    close() {},
  };
}

/** The active backend's replica URLs: `replicas` when given, else `backendUrl`; trailing slashes dropped, no duplicates. */
export function replicaUrls(s: Pick<BackendSettings, 'backendUrl' | 'replicas'>): string[] {
  const given = (s.replicas?.length ? s.replicas : [s.backendUrl]).map((u) => u.trim().replace(/\/+$/, '')).filter((u) => u !== '');
  const urls = [...new Set(given)];
  return urls.length > 0 ? urls : [s.backendUrl];
}

/** The pools of one process, one per backend (name and URL list). */
export class PoolRegistry {
  private readonly pools = new Map<string, ReplicaPool>();

  constructor(private readonly options: PoolOptions = {}) {}

  forSettings(s: Pick<BackendSettings, 'backendUrl' | 'replicas' | 'backendName'>): ReplicaPool {
    const name = s.backendName ?? '';
    const urls = replicaUrls(s);
    const key = JSON.stringify([name, ...urls]);
    let pool = this.pools.get(key);
    if (pool) {
      this.pools.delete(key); // most recently used last
    } else {
      pool = new ReplicaPool(name, urls, this.options);
    }
    this.pools.set(key, pool);
    for (const [k, p] of this.pools) {
      if (this.pools.size <= MAX_POOLS) break;
      if (p !== pool && p.replicas.every((r) => r.inFlight === 0)) this.pools.delete(k);
    }
    return pool;
  }
}

/** The language server's pools: every session of the process counts in the same ones. */
export const sharedPools = new PoolRegistry();
