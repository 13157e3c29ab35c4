/**
 * V8 reaches a class's final hidden class (its map once every field is added) only through weak
 * transitions from the class's initial map. When no instance is alive at a full GC — a cache idle
 * for a moment, as Node's memory reducer collects a process that goes quiet — the map is freed, and
 * with it the optimized code of every function that handled it ("deoptimization, reason: weak
 * objects"): the next burst runs slower until V8 compiles it all again (measured: ~25% fewer gets/s
 * at 16 in flight in the 300 ms after a full GC). One instance of each class made per request, kept
 * here, keeps its map and that code alive.
 * @internal
 */
const kept: object[] = [];

/** Keeps `instance` alive for good; give it field values of the kinds live instances hold. */
export function keepShape(instance: object): void {
  kept.push(instance);
}
