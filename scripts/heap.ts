/** Heap measurement for the memory test and `npm run memory`. Not part of the published package. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Heap in use (bytes) after a full collection, once finalizers (which forget dead Levels) have run. */
export async function heapAfterGc(): Promise<number> {
  collectGarbage();
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  return process.memoryUsage().heapUsed;
}
