/**
 * One process of a test fleet: a NamespacedCache that runs the parent's commands (protocol.ts).
 * Started by fleet.ts with the servers, prefix and cache options as arguments.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import memjs from 'memjs';
import { NamespacedCache, type NamespacedCacheOptions } from '../../src/index.js';
import type { CallResult, Command, LoaderPlan, Notice, Reply } from './protocol.js';

const [servers, prefix, optionsJson] = process.argv.slice(2);
const cache = new NamespacedCache({
  servers,
  prefix,
  ...(JSON.parse(optionsJson ?? '{}') as object),
} as NamespacedCacheOptions);

/** Reads the "database" of loaders that have a `dbKey`. */
const database = memjs.Client.create(servers, { logger: { log() {} } });

let clockOffsetMs = 0;
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + clockOffsetMs;

let loadsFinished = 0;
const send = (message: Reply | Notice): void => {
  process.send?.(message);
};

function loaderFor(plan: LoaderPlan, key: string): () => Promise<string> {
  return async () => {
    if (plan.hangs) {
      send({ notice: 'loading', key });
      await new Promise(() => {});
    }
    const db = plan.dbKey === undefined ? '' : String((await database.get(plan.dbKey)).value ?? '');
    await sleep(plan.ms);
    loadsFinished += 1;
    if (plan.fails) throw new Error(`loader of ${key} failed in ${process.pid}`);
    return (plan.value ?? '{key} from {pid}')
      .replace('{key}', key)
      .replace('{pid}', String(process.pid))
      .replace('{db}', db);
  };
}

async function run(command: Command): Promise<Omit<Reply, 'id'>> {
  switch (command.op) {
    case 'getOrSet': {
      const loadsBefore = loadsFinished;
      const calls = command.keys.flatMap((key) =>
        Array.from({ length: command.callers }, async (): Promise<CallResult> => {
          const started = performance.now();
          try {
            const value = await cache.getOrSet(command.namespace, key, loaderFor(command.loader, key), command.options);
            return { key, value, ms: performance.now() - started, loadsFinishedAtResolve: loadsFinished - loadsBefore };
          } catch (error) {
            return {
              key,
              error: String(error),
              ms: performance.now() - started,
              loadsFinishedAtResolve: loadsFinished - loadsBefore,
            };
          }
        }),
      );
      const results = await Promise.all(calls);
      return { results, loads: loadsFinished - loadsBefore };
    }
    case 'get':
      return { value: await cache.get(command.namespace, command.key) };
    case 'getMany':
      return {
        value: await Promise.all(command.keys.map(async (key) => (await cache.get(command.namespace, key)) ?? null)),
      };
    case 'setMany':
      return {
        value: await Promise.all(
          command.keys.map(async (key) => {
            const value = `${command.value}:${process.pid}:${key}`;
            const stored = await cache.set(command.namespace, key, value, command.options);
            return { value, stored, resolvedAt: performance.timeOrigin + performance.now() };
          }),
        ),
      };
    case 'deleteNamespace':
      await cache.deleteNamespace(command.namespace);
      return { done: true };
    case 'clock':
      clockOffsetMs = command.offsetMs;
      return { done: true };
    case 'loads':
      return { value: loadsFinished };
  }
}

process.on('message', (message: Command & { id: number }) => {
  run(message).then((reply) => send({ id: message.id, ...reply } as Reply));
});
process.on('disconnect', () => {
  database.close();
  cache.close().then(() => process.exit(0));
});
send({ notice: 'ready' });
