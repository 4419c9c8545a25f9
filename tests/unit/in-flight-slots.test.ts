import { describe, expect, it } from 'vitest';
import { InFlightSlots } from '../../src-main/oci/registry/in-flight-slots.ts';

describe('InFlightSlots', () => {
  it('lets `size` requests out at once and hands a released slot to the next waiter in order', async () => {
    const slots = new InFlightSlots(2);
    const first = await slots.acquire();
    await slots.acquire();
    const order: string[] = [];
    const third = slots.acquire().then((release) => (order.push('third'), release));
    const fourth = slots.acquire().then((release) => (order.push('fourth'), release));
    await Promise.resolve();
    expect(order).toEqual([]);
    first();
    first(); // a second release of the same slot changes nothing
    (await third)();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
    expect(slots.inFlight).toBe(2);
  });

  it('an aborted waiter leaves at once; close() fails the rest', async () => {
    const slots = new InFlightSlots(1);
    const held = await slots.acquire();
    const controller = new AbortController();
    const aborted = slots.acquire(controller.signal);
    const closed = slots.acquire();
    controller.abort(new Error('cancelled by the user'));
    await expect(aborted).rejects.toThrow('cancelled by the user');
    slots.close();
    await expect(closed).rejects.toThrow(/closed/);
    held();
    expect(slots.inFlight).toBe(0);
  });
});
