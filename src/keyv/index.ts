export { type ErrorListener, NamespacedKeyvStore, type NamespacedKeyvStoreOptions } from './store.js';
