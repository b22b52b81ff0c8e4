import net from "node:net";

/** Where a private IP of the emulated VCN really listens on this machine. */
export interface PrivateEndpointTarget {
  host: string;
  port: number;
}

/**
 * An EKM private endpoint on loopback: a TCP relay from a local port to the external key manager
 * (the API gateway). Like the real one it carries TLS end to end without terminating it, so the
 * client sees the gateway's certificate.
 */
export class PrivateEndpointEmulator {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Connections relayed so far. */
  connections = 0;

  constructor(private readonly target: PrivateEndpointTarget) {}

  /** Starts on 127.0.0.1 (random port); resolves with the port. */
  async start(): Promise<number> {
    const server = net.createServer((client) => {
      this.connections++;
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
    return this.port;
  }

  get port(): number {
    const address = this.server?.address();
    if (!address || typeof address === "string") throw new Error("the private endpoint emulator is not started");
    return address.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
