import { PROTOCOL_VERSION, type Cluster, type DeviceMessage } from '@handoff/protocol';

/**
 * The hello a device opens every socket with. After the first welcome it carries a resume: the
 * revision it has, whether it plays, what it plays and whether it was the active device, so a hub
 * that lost the session (a restart, a takeover) rebuilds it from the devices.
 */
export function helloOf(device: Extract<DeviceMessage, { type: 'device.hello' }>['device'], cluster: Cluster | null, playing: boolean): DeviceMessage {
  return {
    type: 'device.hello',
    protocolVersion: PROTOCOL_VERSION,
    device,
    ...(cluster ? { resume: { revision: cluster.revision, playing, playback: cluster.playback, active: cluster.activeDeviceId === device.id } } : {}),
  };
}
