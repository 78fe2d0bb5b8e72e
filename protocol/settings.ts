/** The `virgo.*` settings as the server needs them (package.json's contributes.configuration is the user-facing truth). */
export interface BackendSettings {
  backendUrl: string;
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
