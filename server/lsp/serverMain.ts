#!/usr/bin/env node
/**
 * The Virgo language server: runs the reasoning core for the extension (over IPC) and for any
 * LSP editor (`--stdio`). The transport comes from the command line, as vscode-languageserver reads it.
 */
import { createConnection, ProposedFeatures, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { HistoryService } from '../history/historyService';
import { InlineQaService } from '../inlineQa/inlineQaFeatures';
import { registerCompareService } from './compareService';
import { ReasoningService } from './reasoningService';

const connection = createConnection(ProposedFeatures.all);
const inlineQa = new InlineQaService(connection);
const history = new HistoryService(connection);

connection.onInitialize((params) => {
  history.initialize(params);
  return {
    capabilities: {
      // Documents that can reference images (Markdown, LaTeX, HTML, rST, AsciiDoc, notebooks), for inline QA.
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      ...inlineQa.initialize(params),
    },
    serverInfo: { name: 'virgo-language-server' },
  };
});
connection.onInitialized(() => inlineQa.initialized());

new ReasoningService(connection, history).register();
history.register();
registerCompareService(connection);
connection.listen();
