import { performance } from 'node:perf_hooks';

/** The monotonic clock deadlines are measured on, in milliseconds. */
export const now = (): number => performance.now();
