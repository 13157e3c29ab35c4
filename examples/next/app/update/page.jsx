import { refreshPosts } from './actions.js';

export default function UpdatePage() {
  return (
    <form action={refreshPosts}>
      <button type="submit">Refresh posts</button>
    </form>
  );
}
