/**
 * macOS drive listing: the property-list subset parser, and the diskutil
 * parsers against output captured the way `diskutil list -plist external`
 * and `diskutil info -plist diskNsM` print it (macOS 14, a FAT32 stick
 * formatted on Windows and a Samsung T7 formatted APFS).
 */
import { describe, expect, it } from 'vitest';
import { parseDiskutilInfo, parseDiskutilList, parsePlist } from '../../src-main/media/drives-macos.ts';

const HEADER = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">`;

const LIST_EXTERNAL = `${HEADER}
<dict>
	<key>AllDisks</key>
	<array>
		<string>disk4</string>
		<string>disk4s1</string>
		<string>disk5</string>
		<string>disk5s1</string>
		<string>disk5s2</string>
		<string>disk6</string>
		<string>disk6s1</string>
	</array>
	<key>AllDisksAndPartitions</key>
	<array>
		<dict>
			<key>Content</key>
			<string>FDisk_partition_scheme</string>
			<key>DeviceIdentifier</key>
			<string>disk4</string>
			<key>OSInternal</key>
			<false/>
			<key>Partitions</key>
			<array>
				<dict>
					<key>Content</key>
					<string>DOS_FAT_32</string>
					<key>DeviceIdentifier</key>
					<string>disk4s1</string>
					<key>DiskUUID</key>
					<string>0E0C5B1A-6E6B-4B4B-9E0A-2C1F3B7D9A11</string>
					<key>MountPoint</key>
					<string>/Volumes/FERRY &amp; CO</string>
					<key>Size</key>
					<integer>31004295168</integer>
					<key>VolumeName</key>
					<string>FERRY &amp; CO</string>
					<key>VolumeUUID</key>
					<string>5D3B2E8F-0C4A-3B9E-A1E2-7F6C9D0B4E21</string>
				</dict>
			</array>
			<key>Size</key>
			<integer>31004295168</integer>
		</dict>
		<dict>
			<key>Content</key>
			<string>GUID_partition_scheme</string>
			<key>DeviceIdentifier</key>
			<string>disk5</string>
			<key>OSInternal</key>
			<false/>
			<key>Partitions</key>
			<array>
				<dict>
					<key>Content</key>
					<string>EFI</string>
					<key>DeviceIdentifier</key>
					<string>disk5s1</string>
					<key>DiskUUID</key>
					<string>B5D1A0E2-3C4F-4E6A-9B8C-1D2E3F4A5B6C</string>
					<key>Size</key>
					<integer>209715200</integer>
					<key>VolumeName</key>
					<string>EFI</string>
					<key>VolumeUUID</key>
					<string>0E239BC6-F960-3107-89CF-1C97F78BB46B</string>
				</dict>
				<dict>
					<key>Content</key>
					<string>Apple_APFS</string>
					<key>DeviceIdentifier</key>
					<string>disk5s2</string>
					<key>DiskUUID</key>
					<string>C7E8F9A0-1B2C-4D3E-8F4A-5B6C7D8E9F01</string>
					<key>Size</key>
					<integer>1000000000000</integer>
				</dict>
			</array>
			<key>Size</key>
			<integer>1000204886016</integer>
		</dict>
		<dict>
			<key>APFSPhysicalStores</key>
			<array>
				<dict>
					<key>DeviceIdentifier</key>
					<string>disk5s2</string>
				</dict>
			</array>
			<key>APFSVolumes</key>
			<array>
				<dict>
					<key>CapacityInUse</key>
					<integer>212992409600</integer>
					<key>DeviceIdentifier</key>
					<string>disk6s1</string>
					<key>DiskUUID</key>
					<string>1A2B3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D</string>
					<key>MountPoint</key>
					<string>/Volumes/T7</string>
					<key>MountedSnapshots</key>
					<array/>
					<key>OSInternal</key>
					<false/>
					<key>Size</key>
					<integer>1000000000000</integer>
					<key>VolumeName</key>
					<string>T7</string>
					<key>VolumeUUID</key>
					<string>1A2B3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D</string>
				</dict>
			</array>
			<key>Content</key>
			<string>EF57347C-0000-11AA-AA11-00306543ECAC</string>
			<key>DeviceIdentifier</key>
			<string>disk6</string>
			<key>OSInternal</key>
			<false/>
			<key>Size</key>
			<integer>1000000000000</integer>
		</dict>
	</array>
	<key>VolumesFromDisks</key>
	<array>
		<string>FERRY &amp; CO</string>
		<string>T7</string>
	</array>
	<key>WholeDisks</key>
	<array>
		<string>disk4</string>
		<string>disk5</string>
		<string>disk6</string>
	</array>
</dict>
</plist>
`;

const INFO_FAT32 = `${HEADER}
<dict>
	<key>Bootable</key>
	<false/>
	<key>BusProtocol</key>
	<string>USB</string>
	<key>CanBeMadeBootable</key>
	<false/>
	<key>Content</key>
	<string>DOS_FAT_32</string>
	<key>DeviceBlockSize</key>
	<integer>512</integer>
	<key>DeviceIdentifier</key>
	<string>disk4s1</string>
	<key>DeviceNode</key>
	<string>/dev/disk4s1</string>
	<key>DeviceTreePath</key>
	<string></string>
	<key>Ejectable</key>
	<true/>
	<key>EjectableMediaAutomaticUnderSoftwareControl</key>
	<false/>
	<key>FilesystemName</key>
	<string>MS-DOS FAT32</string>
	<key>FilesystemType</key>
	<string>msdos</string>
	<key>FilesystemUserVisibleName</key>
	<string>MS-DOS (FAT32)</string>
	<key>FreeSpace</key>
	<integer>30974738432</integer>
	<key>GlobalPermissionsEnabled</key>
	<false/>
	<key>Internal</key>
	<false/>
	<key>MediaName</key>
	<string></string>
	<key>MediaType</key>
	<string>Generic</string>
	<key>MountPoint</key>
	<string>/Volumes/FERRY &amp; CO</string>
	<key>ParentWholeDisk</key>
	<string>disk4</string>
	<key>PartitionMapPartition</key>
	<true/>
	<key>Removable</key>
	<true/>
	<key>RemovableMedia</key>
	<true/>
	<key>RemovableMediaOrExternalDevice</key>
	<true/>
	<key>SMARTStatus</key>
	<string>Not Supported</string>
	<key>Size</key>
	<integer>31004295168</integer>
	<key>SolidState</key>
	<false/>
	<key>TotalSize</key>
	<integer>31004295168</integer>
	<key>VirtualOrPhysical</key>
	<string>Physical</string>
	<key>VolumeAllocationBlockSize</key>
	<integer>16384</integer>
	<key>VolumeName</key>
	<string>FERRY &amp; CO</string>
	<key>VolumeSize</key>
	<integer>31004295168</integer>
	<key>WholeDisk</key>
	<false/>
	<key>Writable</key>
	<true/>
	<key>WritableMedia</key>
	<true/>
	<key>WritableVolume</key>
	<true/>
</dict>
</plist>
`;

// Recent macOS reports 0 as an APFS volume's FreeSpace: its space is the container's.
const INFO_APFS = `${HEADER}
<dict>
	<key>APFSContainerFree</key>
	<integer>786512379904</integer>
	<key>APFSContainerReference</key>
	<string>disk6</string>
	<key>APFSContainerSize</key>
	<integer>1000000000000</integer>
	<key>APFSPhysicalStores</key>
	<array>
		<dict>
			<key>APFSPhysicalStore</key>
			<string>disk5s2</string>
		</dict>
	</array>
	<key>APFSSnapshot</key>
	<false/>
	<key>APFSVolumeGroupID</key>
	<string></string>
	<key>Bootable</key>
	<false/>
	<key>BusProtocol</key>
	<string>USB</string>
	<key>CapacityInUse</key>
	<integer>212992409600</integer>
	<key>Content</key>
	<string>41504653-0000-11AA-AA11-00306543ECAC</string>
	<key>DeviceIdentifier</key>
	<string>disk6s1</string>
	<key>DeviceNode</key>
	<string>/dev/disk6s1</string>
	<key>Ejectable</key>
	<true/>
	<key>Encryption</key>
	<false/>
	<key>FilesystemName</key>
	<string>APFS</string>
	<key>FilesystemType</key>
	<string>apfs</string>
	<key>FilesystemUserVisibleName</key>
	<string>APFS</string>
	<key>FreeSpace</key>
	<integer>0</integer>
	<key>Internal</key>
	<false/>
	<key>MountPoint</key>
	<string>/Volumes/T7</string>
	<key>ParentWholeDisk</key>
	<string>disk6</string>
	<key>RemovableMediaOrExternalDevice</key>
	<true/>
	<key>Size</key>
	<integer>1000000000000</integer>
	<key>SolidState</key>
	<true/>
	<key>TotalSize</key>
	<integer>1000000000000</integer>
	<key>VirtualOrPhysical</key>
	<string>Virtual</string>
	<key>VolumeName</key>
	<string>T7</string>
	<key>WholeDisk</key>
	<false/>
	<key>WritableVolume</key>
	<true/>
</dict>
</plist>
`;

const INFO_DISK_IMAGE = `${HEADER}
<dict>
	<key>BusProtocol</key>
	<string>Disk Image</string>
	<key>DeviceIdentifier</key>
	<string>disk7s1</string>
	<key>FilesystemType</key>
	<string>hfs</string>
	<key>MountPoint</key>
	<string>/Volumes/Ferry Installer</string>
	<key>TotalSize</key>
	<integer>209715200</integer>
	<key>VolumeName</key>
	<string>Ferry Installer</string>
</dict>
</plist>
`;

const INFO_UNMOUNTED = `${HEADER}
<dict>
	<key>DeviceIdentifier</key>
	<string>disk5s1</string>
	<key>FilesystemType</key>
	<string>msdos</string>
	<key>MountPoint</key>
	<string></string>
	<key>VolumeName</key>
	<string>EFI</string>
</dict>
</plist>
`;

describe('parsePlist', () => {
  it('reads the subset diskutil prints: dict, array, string, integer, real, booleans, entities, empty forms', () => {
    expect(
      parsePlist(`${HEADER}<dict><key>a &lt;b&gt;</key><array><integer>-3</integer><real>1.5</real><true/><false/><string/><array/><dict/></array>
      <key>s</key><string>x&amp;y &#233;</string><key>d</key><date>2024-05-01T10:00:00Z</date></dict></plist>`),
    ).toEqual({ 'a <b>': [-3, 1.5, true, false, '', [], {}], s: 'x&y é', d: '2024-05-01T10:00:00Z' });
  });

  it('answers undefined for anything that is not a property list', () => {
    expect(parsePlist('')).toBeUndefined();
    expect(parsePlist('Could not find disk: disk9')).toBeUndefined();
    expect(parsePlist(`${HEADER}<dict><key>a</key></dict></plist>`)).toBeUndefined();
    expect(parsePlist(`${HEADER}<dict><key>a</key><integer>x</integer></dict></plist>`)).toBeUndefined();
  });
});

describe('parseDiskutilList', () => {
  it('names the mounted volumes: partitions and APFS volumes, not EFI or the APFS physical store', () => {
    expect(parseDiskutilList(LIST_EXTERNAL)).toEqual(['disk4s1', 'disk6s1']);
  });

  it('answers [] for no external disk or unreadable output', () => {
    expect(parseDiskutilList(`${HEADER}<dict><key>AllDisks</key><array/><key>AllDisksAndPartitions</key><array/></dict></plist>`)).toEqual([]);
    expect(parseDiskutilList('garbage')).toEqual([]);
  });
});

describe('parseDiskutilInfo', () => {
  it('reads a FAT32 stick: mount point, label, kind, sizes, removable, advice', () => {
    const drive = parseDiskutilInfo(INFO_FAT32);
    expect(drive).toMatchObject({
      path: '/Volumes/FERRY & CO',
      label: 'FERRY & CO',
      fsType: 'fat32',
      freeBytes: 30974738432,
      sizeBytes: 31004295168,
      removable: true,
    });
    expect(drive?.advice).toMatch(/4 GiB/);
  });

  it("takes an APFS volume's free space from its container when the volume reports 0", () => {
    expect(parseDiskutilInfo(INFO_APFS)).toEqual({
      path: '/Volumes/T7',
      label: 'T7',
      fsType: 'apfs',
      freeBytes: 786512379904,
      sizeBytes: 1000000000000,
      removable: true,
      advice: null,
    });
  });

  it('leaves out disk images, unmounted volumes and errors', () => {
    expect(parseDiskutilInfo(INFO_DISK_IMAGE)).toBeUndefined();
    expect(parseDiskutilInfo(INFO_UNMOUNTED)).toBeUndefined();
    expect(parseDiskutilInfo(`${HEADER}<dict><key>ErrorMessage</key><string>Could not find disk: disk9</string></dict></plist>`)).toBeUndefined();
  });
});
