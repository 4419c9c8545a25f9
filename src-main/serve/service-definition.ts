/**
 * `ferry serve --print-service systemd|launchd|windows`: the text that makes
 * the current `ferry serve` command a background service the operator keeps
 * (started at boot, restarted when it fails), for the three systems Ferry
 * runs on. Ferry prints it and installs nothing: the operator reads it, puts
 * it in place and enables it with the commands written in its header. The
 * command line is quoted for each format's own rules (systemd's ExecStart,
 * a plist's XML strings, PowerShell and Windows' argv splitting).
 */
import { FerryError } from '../../src-shared/errors.ts';

/** The service managers `--print-service` writes for. */
export const SERVICE_KINDS = ['systemd', 'launchd', 'windows'] as const;

/** One service manager. */
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** What a service definition is made from: the whole command (absolute program path first) and who runs it. */
export interface ServiceDefinitionInput {
  kind: ServiceKind;
  /** The program and its arguments, every path absolute (a service starts in `/` or `C:\Windows\System32`). */
  command: readonly string[];
  /** One line saying what this service serves, for the unit's Description and the task's description. */
  description: string;
  /** The account to run as (systemd `User=`, launchd `UserName`); absent: the manager's default (root / SYSTEM). */
  runAs?: string;
}

/** A service definition: the file name it is usually saved as, and its full text (install steps in its header comment). */
export interface ServiceDefinition {
  fileName: string;
  text: string;
}

/** The name every definition uses, so the install commands below match the files. */
const SERVICE_NAME = 'ferry-serve';
/** launchd labels are reverse-DNS by convention. */
const LAUNCHD_LABEL = 'org.ferry.serve';
/** How long systemd waits for a clean close after SIGTERM (the server finishes in-flight requests) before it kills. */
const STOP_TIMEOUT_SECONDS = 30;

/**
 * One argument for systemd's ExecStart (systemd.service(5), "Command lines"):
 * double-quoted when it holds anything but plain characters, with `\` and `"`
 * escaped; `%` doubled (specifiers) and `$` doubled (variable expansion).
 */
export function systemdArgument(arg: string): string {
  const escaped = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Text safe inside an XML element or a plist string. */
function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * One argument as Windows programs split a command line (CommandLineToArgvW,
 * as node.exe does): quoted when it holds a space, tab or quote or is empty;
 * backslashes are doubled only before a quote.
 */
export function windowsArgument(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let slashes = 0;
  for (const char of arg) {
    if (char === '\\') {
      slashes += 1;
      continue;
    }
    out += char === '"' ? '\\'.repeat(slashes * 2 + 1) + '"' : '\\'.repeat(slashes) + char;
    slashes = 0;
  }
  return `${out}${'\\'.repeat(slashes * 2)}"`;
}

/** A PowerShell single-quoted string (only `'` is special inside one: doubled). */
function powershellString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** One line with no control characters, for a comment or a description. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

function systemdUnit(input: ServiceDefinitionInput): ServiceDefinition {
  const lines = [
    `# ${SERVICE_NAME}.service: ${oneLine(input.description)}`,
    '# Printed by `ferry serve --print-service systemd`; Ferry installed nothing. To install (as root):',
    `#   cp ${SERVICE_NAME}.service /etc/systemd/system/ && systemctl daemon-reload && systemctl enable --now ${SERVICE_NAME}`,
    `# Logs: journalctl -u ${SERVICE_NAME}. SIGTERM closes the registry cleanly; a kill loses no stored blob.`,
    '[Unit]',
    `Description=${oneLine(input.description)}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${input.command.map(systemdArgument).join(' ')}`,
    ...(input.runAs ? [`User=${input.runAs}`] : []),
    'Restart=on-failure',
    'RestartSec=5',
    `TimeoutStopSec=${STOP_TIMEOUT_SECONDS}`,
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'ProtectSystem=full',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return { fileName: `${SERVICE_NAME}.service`, text: lines.join('\n') };
}

function launchdPlist(input: ServiceDefinitionInput): ServiceDefinition {
  const file = `${LAUNCHD_LABEL}.plist`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    `<!-- ${file}: ${xmlText(oneLine(input.description)).replace(/--/g, '- -')}`,
    '     Printed by ferry serve (print-service launchd); Ferry installed nothing. To install (as an administrator):',
    `       sudo cp ${file} /Library/LaunchDaemons/ && sudo chown root:wheel /Library/LaunchDaemons/${file}`,
    `       sudo launchctl bootstrap system /Library/LaunchDaemons/${file}`,
    `     Logs: /Library/Logs/${SERVICE_NAME}.log. launchd stops it with SIGTERM, which closes the registry cleanly. -->`,
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  <string>${LAUNCHD_LABEL}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...input.command.map((arg) => `    <string>${xmlText(arg)}</string>`),
    '  </array>',
    ...(input.runAs ? ['  <key>UserName</key>', `  <string>${xmlText(input.runAs)}</string>`] : []),
    '  <key>RunAtLoad</key>',
    '  <true/>',
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key>',
    '    <false/>',
    '  </dict>',
    '  <key>ExitTimeOut</key>',
    `  <integer>${STOP_TIMEOUT_SECONDS}</integer>`,
    '  <key>StandardOutPath</key>',
    `  <string>/Library/Logs/${SERVICE_NAME}.log</string>`,
    '  <key>StandardErrorPath</key>',
    `  <string>/Library/Logs/${SERVICE_NAME}.log</string>`,
    '</dict>',
    '</plist>',
    '',
  ];
  return { fileName: file, text: lines.join('\n') };
}

/**
 * Windows: a scheduled task started at boot as SYSTEM, restarted when it
 * fails, with no time limit. Not `sc.exe create`: node.exe does not speak
 * the Service Control Manager's protocol, so the SCM would kill it after 30
 * seconds with error 1053; a service wrapper (WinSW, NSSM) can run the same
 * command line where a site's policy requires a real service.
 */
function windowsTask(input: ServiceDefinitionInput): ServiceDefinition {
  const [program = '', ...args] = input.command;
  const lines = [
    `# ${SERVICE_NAME}.ps1: ${oneLine(input.description)}`,
    '# Printed by `ferry serve --print-service windows`; Ferry installed nothing. Run it in an elevated PowerShell:',
    `#   powershell -ExecutionPolicy Bypass -File .\\${SERVICE_NAME}.ps1`,
    `# It registers a scheduled task that starts at boot as SYSTEM and restarts on failure. Stop it: Stop-ScheduledTask -TaskName ${SERVICE_NAME};`,
    `# remove it: Unregister-ScheduledTask -TaskName ${SERVICE_NAME}. (Not sc.exe create: node.exe does not answer the Service Control Manager,`,
    '# which then fails with error 1053; where a real service is required, run this command line under WinSW or NSSM.)',
    `$action = New-ScheduledTaskAction -Execute ${powershellString(program)} -Argument ${powershellString(args.map(windowsArgument).join(' '))}`,
    '$trigger = New-ScheduledTaskTrigger -AtStartup',
    "$principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest",
    '$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries',
    `Register-ScheduledTask -TaskName ${powershellString(SERVICE_NAME)} -Description ${powershellString(oneLine(input.description))} -Action $action -Trigger $trigger -Principal $principal -Settings $settings -Force`,
    `Start-ScheduledTask -TaskName ${powershellString(SERVICE_NAME)}`,
    '',
  ];
  return { fileName: `${SERVICE_NAME}.ps1`, text: lines.join('\r\n') };
}

/** The service definition of one kind for a `ferry serve` command line; every path in it must already be absolute. */
export function serviceDefinition(input: ServiceDefinitionInput): ServiceDefinition {
  if (input.command.length === 0) throw new FerryError('INTERNAL', 'a service definition needs a command');
  switch (input.kind) {
    case 'systemd':
      return systemdUnit(input);
    case 'launchd':
      return launchdPlist(input);
    case 'windows':
      return windowsTask(input);
    default:
      return input.kind satisfies never;
  }
}

/** `--print-service`'s value checked against the kinds Ferry writes. */
export function parseServiceKind(value: string): ServiceKind {
  const kind = SERVICE_KINDS.find((k) => k === value);
  if (kind === undefined) throw new FerryError('INVALID_ARGUMENT', `--print-service takes ${SERVICE_KINDS.join(', ')}, got "${value}"`);
  return kind;
}
