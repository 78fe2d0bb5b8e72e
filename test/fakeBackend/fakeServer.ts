// The tests' fake vLLM is the same scripted server that `virgo replay` runs, so what the tests
// exercise is what users get.
export * from '../../server/replay/scriptedBackend';
export { startScriptedBackend as startFakeBackend } from '../../server/replay/scriptedBackend';
