/**
 * Long-running front ends (`ferry ui`, `ferry serve`) run until the user
 * presses Ctrl-C or the system asks them to stop, then close what they opened.
 */

/** Resolves on the first SIGINT or SIGTERM, and stops listening for both, so the caller can close its server and exit cleanly. */
export function untilInterrupted(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
