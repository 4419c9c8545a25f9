/** Where the file picker opens for a field's current value. */
import { describe, expect, it } from 'vitest';
import { startFolder } from '../../src-renderer/picker-start.ts';

describe('startFolder', () => {
  it('opens a folder field in the folder itself and a file field beside the file', () => {
    expect(startFolder('/media/usb/bundle', 'folder')).toBe('/media/usb/bundle');
    expect(startFolder('/etc/pki/registry-ca.pem', 'file')).toBe('/etc/pki');
    expect(startFolder('/ca.pem', 'file')).toBe('/');
    expect(startFolder('C:\\Users\\u\\auth.json', 'file')).toBe('C:\\Users\\u');
  });
  it('opens in the home folder (undefined) when the field is empty or a bare file name', () => {
    expect(startFolder('  ', 'folder')).toBeUndefined();
    expect(startFolder('images.txt', 'file')).toBeUndefined();
  });
});
