import { cacheLife } from 'next/cache';
import { loadPosts } from '../../lib/data-source.js';

/**
 * ISR: a static page revalidated every few seconds (with Cache Components, `cacheLife` replaces the
 * `revalidate` segment option). Its rendered HTML is stored through the incremental `cacheHandler`.
 */
export default async function IsrPage() {
  'use cache';
  cacheLife({ revalidate: 3, expire: 3600 });
  const posts = await loadPosts('isr');
  return (
    <main>
      <p id="render">{posts.id}</p>
    </main>
  );
}
