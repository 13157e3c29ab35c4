import { connection } from 'next/server';
import { Suspense } from 'react';
import { Posts } from './posts.jsx';

async function Dynamic() {
  // Rendered per request (never at build), so that the cached component is read from the cache.
  await connection();
  return <Posts />;
}

export default function PostsPage() {
  return (
    <main>
      <h1>Posts</h1>
      <Suspense fallback={<p>Loading…</p>}>
        <Dynamic />
      </Suspense>
    </main>
  );
}
