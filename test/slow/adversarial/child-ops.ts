// A separate process for the adversarial cross-process tests: runs the operations given as JSON in
// argv[4] on a cache of prefix argv[3] over servers argv[2], prints one JSON line of results, exits.
import { NamespacedCache } from '../../../src/index.js';

type Op =
  | { op: 'invalidateTags'; tags: string[]; staleFor?: number }
  | { op: 'deleteNamespace'; namespace: string | string[]; staleFor?: number }
  | { op: 'set'; namespace: string | string[]; key: string; value: string; tags?: string[] }
  | { op: 'get'; namespace: string | string[]; key: string };

const [servers, prefix, json] = process.argv.slice(2) as [string, string, string];
const cache = new NamespacedCache({ servers, prefix });
const results: unknown[] = [];
for (const step of JSON.parse(json) as Op[]) {
  try {
    if (step.op === 'invalidateTags')
      results.push(
        await cache.invalidateTags(step.tags, step.staleFor === undefined ? undefined : { staleFor: step.staleFor }),
      );
    else if (step.op === 'deleteNamespace')
      results.push(
        await cache.deleteNamespace(
          step.namespace,
          step.staleFor === undefined ? undefined : { staleFor: step.staleFor },
        ),
      );
    else if (step.op === 'set')
      results.push(await cache.set(step.namespace, step.key, step.value, step.tags ? { tags: step.tags } : undefined));
    else results.push((await cache.get(step.namespace, step.key)) ?? null);
  } catch (error) {
    results.push({ error: String(error) });
  }
}
await cache.close();
process.stdout.write(`${JSON.stringify(results)}\n`);
