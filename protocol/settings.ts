/** The `virgo.*` settings as the server needs them (package.json's contributes.configuration is the user-facing truth). */
export interface BackendSettings {
  /** The backend's (first) base URL, e.g. http://127.0.0.1:8000/v1. */
  backendUrl: string;
  /**
   * Every replica's base URL of the active backend, backendUrl among them. More than one: each
   * session goes to the healthy replica with the fewest sessions in flight. Absent: backendUrl only.
   */
  replicas?: string[];
  /** The active named backend (a `virgo.backends` entry's name); absent or '' for plain `virgo.backendUrl`. */
  backendName?: string;
  /** Empty: the first model the backend lists. */
  model: string;
  maxTokens: number;
  temperature: number;
  maxPixels: number;
  /** Empty string: send the bare question. */
  promptPrefix: string;
  idleTimeoutMs: number;
  /** A PEM file of extra CAs to trust for an https backend; empty: the system's roots only. */
  caCertificatePath: string;
  /** Sessions streaming at once; more wait in a queue. */
  maxConcurrentSessions?: number;
}
