/** A LAN tower driven by PNS over TCP. PNS has no hold timer: the channel clears it itself. */
import { PnsClient, type PnsClientOptions } from './pns-client.js';
import type { TowerDriver } from './tower-driver.js';
import { isDark, type TowerSignal } from './tower-signal.js';

export class PnsTowerDriver implements TowerDriver {
  readonly client: PnsClient;
  readonly description: string;

  constructor(options: PnsClientOptions) {
    this.client = new PnsClient(options);
    this.description = `PNS ${this.client.address} (${this.client.model.toUpperCase()})`;
  }

  async show(signal: TowerSignal): Promise<void> {
    if (isDark(signal)) await this.client.clear();
    else await this.client.show(signal);
  }

  clear(): Promise<void> {
    return this.client.clear();
  }

  async probe(): Promise<void> {
    await this.client.status();
  }

  close(): void {
    this.client.close();
  }
}
