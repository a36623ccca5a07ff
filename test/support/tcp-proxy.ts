// A TCP proxy on 127.0.0.1 in front of PostgreSQL, for tests of a database
// that fails: `cutOff` drops every connection and leaves new ones unanswered
// (a network cut), `freeze` keeps connections open but passes nothing (packet
// loss: statements hang), `restore` brings it back.
import { createServer, type Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class TcpProxy {
  private server!: Server;
  private sockets = new Set<Socket>();
  private cut = false;
  private frozen = false;
  port = 0;

  async start(target: URL): Promise<this> {
    this.server = createServer((client) => {
      this.track(client);
      if (this.cut) return;
      const upstream = this.track(new Socket());
      upstream.connect(Number(target.port || 5432), target.hostname);
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.on('data', (chunk) => this.frozen || upstream.write(chunk));
      upstream.on('data', (chunk) => this.frozen || client.write(chunk));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  cutOff() {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  freeze() {
    this.frozen = true;
  }

  restore() {
    this.cut = false;
    this.frozen = false;
    for (const socket of this.sockets) socket.destroy();
  }

  async stop() {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    return socket;
  }
}
