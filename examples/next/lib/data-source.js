import { appendFileSync } from 'node:fs';

/**
 * The "database": each call appends a line `<source> <pid>` to the file named by
 * DATA_SOURCE_LOG, so the acceptance test counts calls across every instance. Returns the call's
 * own id, which the page prints.
 */
export async function loadPosts(source) {
  const id = `${source}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  if (process.env.DATA_SOURCE_LOG) appendFileSync(process.env.DATA_SOURCE_LOG, `${source} ${id}\n`);
  return { id, titles: ['Memcached for Next.js', 'Tags and soft invalidation'] };
}
