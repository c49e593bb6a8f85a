/** The hub's MQTT access control from its config: accounts in its database, `hub.mqtt.anonymous`, `hub.mqtt.aclFile`. */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config, Now } from '@mieruka/protocol';
import { DeviceAccounts } from '../auth/device-accounts.js';
import type { SqlStore } from '../store/sql/sql-store.js';
import { loadAclFile } from './acl-file.js';
import { MqttAccessControl } from './mqtt-auth.js';

/**
 * Reads the ACL file (a malformed one is CONFIG_INVALID) and warns when anyone may connect
 * anonymously. The accounts are returned too: the caller watches them (`watch`/`unwatch`).
 */
export async function mqttAccessFromConfig(config: Readonly<Config>, sql: SqlStore, logger: Logger, now: Now): Promise<{ access: MqttAccessControl; accounts: DeviceAccounts }> {
  const { anonymous, aclFile } = config.hub.mqtt;
  const acl = aclFile ? await loadAclFile(resolve(aclFile)) : null;
  if (anonymous === 'on') {
    logger.child({ component: 'hub' }).warn(
      'hub.mqtt.anonymous is "on": ANY host that reaches the MQTT port may connect without an account, read everything and publish readings. Use "loopback" or "off" with `mieruka device add`.',
    );
  }
  const accounts = new DeviceAccounts({ sql, logger, now });
  return { access: new MqttAccessControl({ accounts, anonymous, acl, logger, now }), accounts };
}
