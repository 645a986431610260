/**
 * An HTTP server on loopback that answers every request with 200 and a body that never ends: what
 * an address from a document may point at. Tests of the agent clients' response caps use it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EndlessAnswerServer {
  port: number;
  close(): void;
}

export async function startEndlessAnswerServer(): Promise<EndlessAnswerServer> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = ' '.repeat(64 * 1024);
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
