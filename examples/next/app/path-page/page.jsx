import { cacheLife } from 'next/cache';
import { connection } from 'next/server';
import { Suspense } from 'react';
import { loadPosts } from '../../lib/data-source.js';

/** No tag of its own: `revalidatePath('/path-page')` reaches it through the page's implicit (soft) tags. */
async function Cached() {
  'use cache';
  cacheLife({ revalidate: 3600, expire: 86400 });
  const posts = await loadPosts('path');
  return <p id="render">{posts.id}</p>;
}

async function Dynamic() {
  await connection();
  return <Cached />;
}

export default function PathPage() {
  return (
    <main>
      <Suspense fallback={<p>Loading…</p>}>
        <Dynamic />
      </Suspense>
    </main>
  );
}
