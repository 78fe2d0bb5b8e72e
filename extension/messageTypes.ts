// Stands in for vscode-jsonrpc in the activation bundle (scripts/build.mjs aliases it there). The
// extension only reads `method` from protocol/lsp.ts's constants and sends by that name (see
// VirgoServer.request), so the library itself is loaded with the language client, on first use.
export class RequestType<P, R, E> {
  declare readonly _types?: [P, R, E];
  constructor(readonly method: string) {}
}

export class NotificationType<P> {
  declare readonly _types?: [P];
  constructor(readonly method: string) {}
}
