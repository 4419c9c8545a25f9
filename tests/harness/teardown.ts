/**
 * What a test file's beforeAll started, closed by its afterAll in reverse
 * order. A beforeAll that fails halfway leaves later resources unset; when
 * each resource registers its close as it comes up, afterAll closes exactly
 * those, and the resources need not be typed as possibly undefined (with a
 * `?.` the type says is unnecessary) for the sake of that one path.
 */
export class Teardown {
  readonly #steps: Array<() => unknown> = [];

  /** Registers how to close `resource` and returns it, so the call that creates it can be wrapped in place. */
  add<T>(resource: T, close: (resource: T) => unknown): T {
    this.#steps.push(() => close(resource));
    return resource;
  }

  /** Runs every registered close, newest first; all of them run even when one fails, and the first failure is thrown. */
  async run(): Promise<void> {
    const failures: unknown[] = [];
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  }
}
