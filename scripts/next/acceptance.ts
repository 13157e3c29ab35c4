/**
 * `npm run test:next`: issue 16's acceptance, on real processes. The example app (examples/next) is
 * built once and served by two `next start` processes on different ports, sharing one real
 * memcached; the data source logs every call to a file, so calls are counted across both.
 *
 * 1. 'use cache' with cacheTag: A renders, B serves it from the cache (one call in all).
 * 2. revalidateTag('posts', 'max') on A: B serves the stale render once, then a fresh one (one more call).
 * 3. updateTag('posts') in a Server Action on A: B's next response is fresh.
 * 4. revalidatePath('/path-page') on A clears the page on both.
 * 5. ISR pages are shared, and revalidated once for both: by time, and by tag (revalidateTag on A).
 * 6. memcached killed, then frozen: both keep answering, rendering each time; restarted: sharing resumes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startMemcached } from '../memcached.js';
import { buildApp, type NextInstance, startInstance } from './instances.js';

const started = Date.now();
const scratch = mkdtempSync(join(tmpdir(), 'next-acceptance-'));
const log = join(scratch, 'data-source.log');
writeFileSync(log, '');
const memcached = await startMemcached();
const env = {
  ...process.env,
  MEMCACHED_SERVERS: memcached.servers,
  NEXT_CACHE_PREFIX: `accept-${process.pid}-${Date.now()}`,
  DATA_SOURCE_LOG: log,
  NEXT_TELEMETRY_DISABLED: '1',
};

const instances: NextInstance[] = [];
const step = (name: string): void =>
  console.log(`[test:next] ${((Date.now() - started) / 1000).toFixed(1)} s  ${name}`);

/** How many times the data source ran for `source`, in every process. */
function calls(source: string): number {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(`${source} `)).length;
}

/** The id of the data-source call the page shows (each call has its own). */
async function render(instance: NextInstance, path: string): Promise<string> {
  const response = await fetch(`${instance.url}${path}`);
  const html = await response.text();
  assert.equal(response.status, 200, `${instance.name} ${path} answered ${response.status}`);
  const match = /id="render">([^<]+)</.exec(html);
  assert.ok(match?.[1], `${instance.name} ${path} shows no render id`);
  return match[1];
}

/** Renders until the page shows something other than `old`; the background render is not observable otherwise. */
async function renderUntilChanged(instance: NextInstance, path: string, old: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const id = await render(instance, path);
    if (id !== old) return id;
    assert.ok(Date.now() < deadline, `${instance.name} ${path} still shows ${old} after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * `revalidateTag(tag, 'max')` on `a`: `b` serves `old` once more (stale), then a fresh render, which
 * `a` serves too. Resolves the fresh render's id.
 */
async function staleThenFresh(
  a: NextInstance,
  b: NextInstance,
  tag: string,
  path: string,
  old: string,
): Promise<string> {
  await post(a, `/api/revalidate-tag?tag=${tag}`);
  assert.equal(await render(b, path), old, `B's first ${path} after revalidateTag(${tag}, max) is not the stale one`);
  const fresh = await renderUntilChanged(b, path, old);
  assert.equal(await render(a, path), fresh, `A did not serve B's fresh ${path}`);
  return fresh;
}

async function post(instance: NextInstance, path: string, body?: FormData): Promise<void> {
  const response = await fetch(`${instance.url}${path}`, { method: 'POST', body, redirect: 'manual' });
  await response.arrayBuffer();
  assert.ok(response.status < 400, `POST ${instance.name} ${path} answered ${response.status}`);
}

/** Submits the page's Server Action form as a browser without JavaScript does. */
async function submitAction(instance: NextInstance, path: string): Promise<void> {
  const html = await (await fetch(`${instance.url}${path}`)).text();
  const field = /name="(\$ACTION_ID_[0-9a-f]+)"/.exec(html)?.[1];
  assert.ok(field, `${path} has no Server Action form`);
  const form = new FormData();
  form.set(field, '');
  await post(instance, path, form);
}

try {
  buildApp(env);
  step('next build done');
  writeFileSync(log, '');
  const [portA, portB] = [await freePort(), await freePort()];
  const [a, b] = await Promise.all([startInstance('A', portA, env), startInstance('B', portB, env)]);
  instances.push(a, b);
  step(`A on ${portA}, B on ${portB}`);

  // 1. One render, served to both.
  const first = await render(a, '/posts');
  assert.equal(await render(b, '/posts'), first, 'B did not serve A’s render from the cache');
  assert.equal(calls('posts'), 1);
  step('1. use cache shared: 1 call for both');

  // 2. Soft invalidation: stale once on B, then fresh; one more call in all.
  const second = await staleThenFresh(a, b, 'posts', '/posts', first);
  assert.equal(calls('posts'), 2);
  step('2. revalidateTag(posts, max): stale once, then fresh; 2 calls');

  // 3. updateTag in a Server Action: B's next response is fresh.
  await submitAction(a, '/update');
  const third = await render(b, '/posts');
  assert.notEqual(third, second, 'B served the value updateTag expired');
  assert.equal(await render(a, '/posts'), third);
  assert.equal(calls('posts'), 3);
  step('3. updateTag in a Server Action: fresh at once on B; 3 calls');

  // 4. revalidatePath clears the page on both.
  const pathFirst = await render(a, '/path-page');
  assert.equal(await render(b, '/path-page'), pathFirst);
  await post(a, '/api/revalidate-path?path=/path-page');
  const pathSecond = await render(b, '/path-page');
  assert.notEqual(pathSecond, pathFirst, 'B served the page revalidatePath cleared');
  assert.equal(await render(a, '/path-page'), pathSecond);
  assert.equal(calls('path'), 2);
  step('4. revalidatePath: cleared on both; 2 calls');

  // 5. ISR: shared, and revalidated once for both.
  const isrFirst = await render(a, '/isr');
  assert.equal(await render(b, '/isr'), isrFirst, 'B did not serve A’s ISR page');
  const isrCalls = calls('isr');
  const isrSecond = await renderUntilChanged(b, '/isr', isrFirst);
  assert.equal(await render(a, '/isr'), isrSecond, 'A did not serve B’s revalidated ISR page');
  assert.equal(calls('isr'), isrCalls + 1, 'the ISR page was not regenerated exactly once for both');
  // A static page renewed only by its tag: the incremental handler's get checks the tag itself.
  const catalogueFirst = await render(a, '/catalogue');
  assert.equal(await render(b, '/catalogue'), catalogueFirst, 'B did not serve A’s static page');
  const catalogueCalls = calls('catalogue');
  await staleThenFresh(a, b, 'catalogue', '/catalogue', catalogueFirst);
  assert.equal(calls('catalogue'), catalogueCalls + 1);
  step('5. ISR pages shared and revalidated across both, by time and by tag');

  // 6. memcached down, then frozen: both answer, rendering each time; back: shared again.
  await memcached.kill();
  for (const instance of [a, b, a, b]) {
    const before = calls('posts');
    const began = Date.now();
    await render(instance, '/posts');
    console.log(`[test:next]        memcached down: ${instance.name} answered in ${Date.now() - began} ms`);
    assert.equal(
      calls('posts'),
      before + 1,
      'a page rendered without calling the data source while memcached was down',
    );
  }
  await memcached.restart();
  await memcached.pause();
  for (const instance of [a, b]) {
    const began = Date.now();
    await render(instance, '/posts');
    const took = Date.now() - began;
    console.log(`[test:next]        memcached frozen: ${instance.name} answered in ${took} ms`);
    assert.ok(took < 10_000, `${instance.name} took ${took} ms with memcached frozen`);
  }
  memcached.resume();
  const shared = await render(a, '/posts');
  const before = calls('posts');
  assert.equal(await render(b, '/posts'), shared, 'sharing did not resume after memcached came back');
  assert.equal(calls('posts'), before);
  step('6. memcached down and frozen: both answered; back: shared again');
  console.log(`[test:next] passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await Promise.all(instances.map((instance) => instance.stop()));
  await memcached.stop();
  rmSync(scratch, { recursive: true, force: true });
}
