/** Where the file picker opens for a field's value; kept apart from the store so it is testable without the DOM. */

/** The folder a field's value points into: itself for a folder field, its parent for a file field. */
export function startFolder(value: string, kind: 'file' | 'folder'): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (kind === 'folder') return trimmed;
  const cut = trimmed.replace(/[\\/][^\\/]*$/, '');
  return cut === trimmed ? undefined : cut === '' ? '/' : cut;
}
