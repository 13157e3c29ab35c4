import { cacheLife, cacheTag } from 'next/cache';
import { loadPosts } from '../../lib/data-source.js';

/**
 * A static page with a tag and a long lifetime: only `revalidateTag('catalogue', …)` renews it. Its
 * HTML is stored through the incremental `cacheHandler`, whose `get` checks the tag itself.
 */
export default async function CataloguePage() {
  'use cache';
  cacheTag('catalogue');
  cacheLife({ revalidate: 3600, expire: 86400 });
  const posts = await loadPosts('catalogue');
  return (
    <main>
      <p id="render">{posts.id}</p>
    </main>
  );
}
