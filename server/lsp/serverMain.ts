#!/usr/bin/env node
/**
 * The Virgo language server: runs the reasoning core for the extension (over IPC) and for any
 * LSP editor (`--stdio`). The transport comes from the command line, as vscode-languageserver reads it.
 */
import { createConnection, ProposedFeatures, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { ReasoningService } from './reasoningService';

const connection = createConnection(ProposedFeatures.all);

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
  serverInfo: { name: 'virgo-language-server' },
}));

new ReasoningService(connection).register();
connection.listen();
