/**
 * Worker thread that samples the process RSS every few milliseconds and keeps the maximum in shared
 * memory, so that the peak is seen even while the main thread is busy in synchronous code (the
 * simulation and the fits never yield to the event loop, so a main-thread timer would not fire).
 * RSS is process-wide, so a worker sees the same figure as the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';

const shared = new BigInt64Array(workerData.buffer as SharedArrayBuffer);
const interval = (workerData.intervalMs as number) ?? 5;

function sample(): void {
  const rss = BigInt(process.memoryUsage.rss());
  if (rss > Atomics.load(shared, 0)) Atomics.store(shared, 0, rss);
}

sample();
setInterval(sample, interval);
parentPort?.postMessage('ready');
