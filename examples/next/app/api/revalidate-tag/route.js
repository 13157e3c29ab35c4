import { revalidateTag } from 'next/cache';

/** `POST /api/revalidate-tag?tag=posts`: stale-while-revalidate invalidation (profile 'max'). */
export async function POST(request) {
  const tag = new URL(request.url).searchParams.get('tag') ?? 'posts';
  revalidateTag(tag, 'max');
  return Response.json({ revalidated: tag });
}
