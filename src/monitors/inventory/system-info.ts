/**
 * Where the inventory comes from: the fields of systeminformation's answers that the monitor
 * reads. The probe takes a SystemInfoSource so that recorded answers can stand in for the
 * library (which reads /proc, /sys and runs its own helpers) without a seam in the probe.
 * The library itself is only loaded by collect.ts, in a child process (see index.ts).
 */

export interface SiOs {
  distro: string;
  release: string;
  codename: string;
  kernel: string;
  arch: string;
  hostname: string;
  fqdn?: string;
}
export interface SiCpu {
  manufacturer: string;
  brand: string;
  cores: number;
  physicalCores: number;
}
export interface SiMem {
  total: number;
}
export interface SiDisk {
  device: string;
  type: string;
  name: string;
  vendor: string;
  size: number;
  serialNum: string;
}
export interface SiBlockDevice {
  name: string;
  type: string;
  size: number;
  model: string;
  serial: string;
  device?: string;
}
export interface SiNic {
  iface: string;
  mac: string;
  internal: boolean;
  virtual: boolean;
  type?: string;
}

/** The six systeminformation calls the inventory uses. */
export interface SystemInfoSource {
  osInfo(): Promise<SiOs>;
  cpu(): Promise<SiCpu>;
  mem(): Promise<SiMem>;
  diskLayout(): Promise<SiDisk[]>;
  blockDevices(): Promise<SiBlockDevice[]>;
  networkInterfaces(): Promise<SiNic[]>;
}

/** All six answers, as recorded in fixtures. */
export interface SystemInfoSnapshot {
  osInfo: SiOs;
  cpu: SiCpu;
  mem: SiMem;
  diskLayout: SiDisk[];
  blockDevices: SiBlockDevice[];
  networkInterfaces: SiNic[];
}

/** Collects a snapshot from a source. */
export async function snapshot(source: SystemInfoSource): Promise<SystemInfoSnapshot> {
  const [osInfo, cpu, mem, diskLayout, blockDevices, networkInterfaces] = await Promise.all([
    source.osInfo(),
    source.cpu(),
    source.mem(),
    source.diskLayout(),
    source.blockDevices(),
    source.networkInterfaces(),
  ]);
  return { osInfo, cpu, mem, diskLayout, blockDevices, networkInterfaces };
}
