import net from 'node:net';

export interface StallingServer {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/**
 * A TCP server on 127.0.0.1 that accepts every connection, reads what it is sent and never answers:
 * a dependency that hangs. `respond` (optional) writes something first, e.g. HTTP headers whose body
 * never comes.
 */
export async function stallingServer(respond?: (socket: net.Socket) => void): Promise<StallingServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    respond?.(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() { return accepted; },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Settles like `promise`, or fails the test after `ms` instead of hanging the suite (a liveness guard, not a speed check). */
export function orHang<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms); });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}
