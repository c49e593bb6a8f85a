/**
 * The hub with its dashboard: the one place that wires the two together. The hub hands its
 * data source, users, session store and logger to `mountHttp`; the dashboard takes its settings from the
 * config (overridable for tests and HTTPS front ends).
 */
import { Hub, type HubOptions, type MountHttp } from '@mieruka/broker';
import { createDashboardApp, type DashboardOptions } from '@mieruka/dashboard';

/** Extra dashboard options; data source, users, sessions, logger and clock are the hub's. */
export type DashboardOverrides = Partial<Omit<DashboardOptions, 'dataSource' | 'users' | 'sessionRecords' | 'logger' | 'now'>>;

export function mountDashboard(overrides: DashboardOverrides = {}): MountHttp {
  return ({ dataSource, users, sessions, logger, config, now }) =>
    createDashboardApp({
      ...overrides,
      dataSource,
      users,
      sessionRecords: sessions,
      logger,
      now,
      sessionHours: overrides.sessionHours ?? config.dashboard.sessionHours,
      language: overrides.language ?? config.dashboard.language,
      kiosk: overrides.kiosk ?? config.dashboard.kiosk,
      trustProxy: overrides.trustProxy ?? config.dashboard.trustProxy,
    });
}

export type ComposedHubOptions = Omit<HubOptions, 'mountHttp'> & { dashboard?: DashboardOverrides };

/** A hub serving the dashboard on its HTTP port. */
export function createHub(options: ComposedHubOptions): Hub {
  const { dashboard, ...hubOptions } = options;
  return new Hub({ ...hubOptions, mountHttp: mountDashboard(dashboard) });
}
