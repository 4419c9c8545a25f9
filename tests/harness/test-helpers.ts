/**
 * Small helpers shared by test files: capturing a rejection for inspection and
 * running the CLI in-process with its output captured.
 */
import { Writable } from 'node:stream';
import { expect } from 'vitest';
import { FerryError } from '../../src-shared/errors.ts';

/** Awaits a promise that must reject with a FerryError and returns it, so a test can inspect every field. */
export async function failure(promise: Promise<unknown>): Promise<FerryError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FerryError);
    return error as FerryError;
  }
  throw new Error('expected a rejection');
}

/** A writable that keeps every byte written to it. */
export class Capture extends Writable {
  private chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.chunks.push(chunk);
    done();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  get text(): string {
    return this.bytes.toString();
  }
}

/** Runs `ferry ARGV…` in this process and returns its exit code and what it printed. */
export async function runFerry(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string; stdoutBytes: Buffer }> {
  const out = new Capture();
  const err = new Capture();
  // Loaded on first use, so tests that only need failure() do not load the whole CLI.
  const { main } = await import('../../src-main/cli/main.ts');
  const code = await main(argv, out, err);
  return { code, stdout: out.text, stderr: err.text, stdoutBytes: out.bytes };
}
