// The language client library, bundled apart (dist/languageClient.js) and loaded on the first
// request: it is most of the extension's code, and activation should not pay for loading it.
export { LanguageClient, TransportKind } from 'vscode-languageclient/node';
