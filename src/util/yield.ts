/**
 * Let the event loop run (progress-bar redraws, signals, a test runner's RPC) between long synchronous
 * stages of a computation.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
