/**
 * The permission policy of the desktop app's session, kept apart from
 * main.ts (which needs the Electron binary) so a test can run it: Ferry's
 * page needs no browser permission at all (no camera, notifications,
 * clipboard reads, geolocation, devices, …), so every check and every request
 * is denied.
 * https://www.electronjs.org/docs/latest/tutorial/security#5-handle-session-permission-requests-from-remote-content
 */
import type { Session } from 'electron';

/** The part of an Electron session the policy sets. */
export type PermissionSession = Pick<Session, 'setPermissionCheckHandler' | 'setPermissionRequestHandler' | 'setDevicePermissionHandler'>;

/**
 * Denies every permission the page could check for or ask for, and every
 * device (HID, serial, USB) it could be granted: installed once on the
 * default session before the window opens.
 */
export function denyAllPermissions(session: PermissionSession): void {
  // Synchronous checks (navigator.permissions.query, clipboard, fullscreen, …) answer "denied".
  session.setPermissionCheckHandler(() => false);
  // Prompts (getUserMedia, notifications, geolocation, …) are refused without asking the user.
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setDevicePermissionHandler(() => false);
}
