import { revalidatePath } from 'next/cache';

/** `POST /api/revalidate-path?path=/path-page`. */
export async function POST(request) {
  const path = new URL(request.url).searchParams.get('path') ?? '/path-page';
  revalidatePath(path);
  return Response.json({ revalidated: path });
}
