/** Accept ws://host:port, http://host:port or a full socket URL; return the device socket URL. */
export function deviceSocketUrl(hub: string): string {
  const url = new URL(hub.replace(/^http/, 'ws'));
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/connect';
  return url.toString();
}
