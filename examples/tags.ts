/**
 * Tags and soft invalidation: a product page depends on its product, its category and a price
 * list, in whichever namespace it lives. A price import clears every page that shows any of them —
 * softly, so readers keep getting the previous page at once while one refresh runs.
 */
import { type CacheStats, NamespacedCache } from 'memjs-namespaces';

/** Stands in for rendering a page from the database: says when it runs. */
let priceEu = 5000;
function renderPage(locale: string): string {
  console.log(`    (page rendered for ${locale})`);
  return `<h1>Guitar</h1><p>${locale}: ${priceEu} EUR</p>`;
}

/** Runs the example; resolves the cache's counters. */
export async function tags(servers: string): Promise<CacheStats> {
  const cache = new NamespacedCache({ servers, prefix: 'demo-tags' });
  const pageTags = ['product:42', 'category:7', 'price-list:eu'];

  console.log('\n== Tags: one item in several groups, across namespaces ==');
  for (const locale of ['pt', 'fr']) {
    await cache.getOrSet(['pages', locale], 'guitar', () => renderPage(locale), { tags: pageTags });
  }
  console.log('  two pages cached, in namespaces [pages, pt] and [pages, fr], each tagged', pageTags);

  priceEu = 4500;
  console.log("  price import; invalidateTags(['price-list:eu'], { staleFor: 60 })  -- soft");
  await cache.invalidateTags(['price-list:eu'], { staleFor: 60 });
  const plain = await cache.get(['pages', 'pt'], 'guitar');
  console.log(`  plain get of the pt page: ${plain} (a soft clear never reaches get)`);
  const entry = await cache.getEntry<string>(['pages', 'pt'], 'guitar');
  console.log(`  getEntry of the pt page: state ${entry?.state} — ${entry?.value}`);
  console.log('  getOrSet, three callers at once:');
  const served = await Promise.all(
    [1, 2, 3].map(() => cache.getOrSet(['pages', 'pt'], 'guitar', () => renderPage('pt'), { tags: pageTags })),
  );
  console.log(`    -> ${served[0]} (the previous page at once; one refresh in the background)`);
  let refreshed = await cache.getEntry<string>(['pages', 'pt'], 'guitar');
  for (let polls = 0; refreshed?.state !== 'fresh' && polls < 100; polls += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10)); // the refresh has no handle to await
    refreshed = await cache.getEntry<string>(['pages', 'pt'], 'guitar');
  }
  console.log(`  once refreshed: state ${refreshed?.state} — ${refreshed?.value}`);

  console.log("  invalidateTags(['product:42'])  -- hard: the product was withdrawn");
  await cache.invalidateTags(['product:42']);
  console.log(`  getEntry of the fr page: ${JSON.stringify(await cache.getEntry(['pages', 'fr'], 'guitar'))}`);
  const stats = cache.stats();
  await cache.close();
  return stats;
}
