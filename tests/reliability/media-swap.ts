import type { RowResult } from './report.ts';
export async function runMediaSwap(..._args: unknown[]): Promise<RowResult> {
  throw new Error('not yet');
}
