'use server';

import { updateTag } from 'next/cache';

/** A Server Action: read-your-own-writes invalidation of `posts`. */
export async function refreshPosts() {
  updateTag('posts');
}
