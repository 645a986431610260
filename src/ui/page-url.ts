/**
 * The URL people open for the status page, from the address the operator listens on: an
 * all-interfaces bind (":9464", "0.0.0.0:9464", "[::]:9464") is opened on loopback.
 */
import { parseListenAddr } from '../runtime/http-listener.js';

export const UI_BASE_PATH = '/ui';

export function statusPageUrl(addr: string, basePath = UI_BASE_PATH): string {
  const { host, port } = parseListenAddr(addr);
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}${basePath}/`;
}
