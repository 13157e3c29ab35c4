import { cacheLife, cacheTag } from 'next/cache';
import { loadPosts } from '../../lib/data-source.js';

/** A 'use cache' component tagged `posts`: shared by every instance through memcached. */
export async function Posts() {
  'use cache';
  cacheTag('posts');
  cacheLife({ revalidate: 3600, expire: 86400 });
  const posts = await loadPosts('posts');
  return (
    <section>
      <p id="render">{posts.id}</p>
      <ul>
        {posts.titles.map((title) => (
          <li key={title}>{title}</li>
        ))}
      </ul>
    </section>
  );
}
