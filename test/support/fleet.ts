import { afterEach } from 'vitest';
import { type FleetWorker, startFleet } from '../../scripts/fleet/fleet.js';
import { servers } from './cache.js';
import { protocolOptions } from './protocol.js';

const fleets: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(fleets.splice(0).map((fleet) => fleet.stop()));
});

/**
 * A fleet of worker processes on `on` (the shared memcached by default), stopped after the test,
 * speaking the protocol under test.
 */
export async function fleetOf(
  size: number,
  prefix: string,
  options = {},
  on = servers,
): Promise<readonly FleetWorker[]> {
  const fleet = await startFleet(size, on, prefix, { ...protocolOptions(), ...options });
  fleets.push(fleet);
  return fleet.workers;
}

/** Sends a command whose reply is a `value`, and resolves that value. */
export async function ask(worker: FleetWorker, command: Parameters<FleetWorker['request']>[0]): Promise<unknown> {
  return ((await worker.request(command)) as { value: unknown }).value;
}

/** Loader calls finished in the whole fleet so far. */
export async function totalLoads(workers: readonly FleetWorker[]): Promise<number> {
  const counts = await Promise.all(workers.map((worker) => ask(worker, { op: 'loads' })));
  return (counts as number[]).reduce((total, count) => total + count, 0);
}
