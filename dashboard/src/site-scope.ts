/**
 * Site-scoped viewers (docs/security.md): the one place that decides what of the hub's node
 * data a session may see. A viewer limited to some sites reads the hub through
 * `scopedDataSource`, which answers for a node of another site exactly what the hub answers
 * for an unknown node (null, an empty list, `unknown_machine`), so every route gives its own
 * "unknown machine/station" 404 and no answer tells an out-of-scope node from one that does
 * not exist. Lists (nodes, machines, benches, alarms, stops, andon, the Pareto over all
 * machines) hold only the scope's sites. Admins, viewers without sites and the kiosk display
 * (tied to no user) see every site and get the hub's data source itself.
 */
import { Router, type RequestHandler, type Response } from 'express';
import { isValidId, type Now } from '@mieruka/protocol';
import { sessionFromRequest, sessionOf } from './auth.js';
import type { DashboardContext } from './context.js';
import type { AlarmItem, DashboardDataSource, LiveUpdate } from './data-source.js';
import type { Session } from './session-store.js';

/** null = every site. */
export type SiteScope = ReadonlySet<string> | null;

export function scopeOfSession(session: Session): SiteScope {
  const { role, sites } = session.user;
  if (session.kiosk || role === 'admin' || sites === null) return null;
  return new Set(sites);
}

export const inScope = (scope: SiteScope, site: string): boolean => scope === null || scope.has(site);

/** The site an update is about: live updates of other sites never reach a scoped viewer. */
export function siteOfUpdate(update: LiveUpdate): string {
  switch (update.type) {
    case 'node':
      return update.node.site;
    case 'alarm':
      return update.alarm.site;
    default:
      return update.site;
  }
}

/** Where refusals are counted (the dashboard's stats) and how. */
export type RefusalCounter = (what: string) => void;

/** The most alarms searched for an acknowledge by a scoped viewer (per site and state). */
const ACK_SEARCH_LIMIT = 1000;

/**
 * The hub's data source as a scoped viewer sees it. `refused` is told of an alarm acknowledge
 * outside the scope (its path names no site; countSiteRefusals counts the node routes).
 */
export function scopedDataSource(data: DashboardDataSource, scope: ReadonlySet<string>, refused: RefusalCounter, now: Now): DashboardDataSource {
  const sees = (site: string): boolean => scope.has(site);
  const sites = [...scope].sort();
  const listAlarmsInScope = async (query: Parameters<DashboardDataSource['listAlarms']>[0]): Promise<AlarmItem[]> => {
    if (query.site !== undefined) return sees(query.site) ? data.listAlarms(query) : [];
    // One query per site keeps the hub's limit meaningful; merged in the hub's order (newest first).
    const lists = await Promise.all(sites.map((site) => data.listAlarms({ ...query, site })));
    return lists
      .flat()
      .sort((a, b) => b.activeSince - a.activeSince || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, query.limit);
  };

  return {
    ...bindAll(data),
    listNodes: () => data.listNodes().filter((n) => scope.has(n.site)),
    readImage: async (site, node, imageId) => (sees(site) ? data.readImage(site, node, imageId) : null),
    readThumbnail: async (site, node, imageId) => (sees(site) ? data.readThumbnail(site, node, imageId) : null),
    subscribe: (listener) => data.subscribe((update) => scope.has(siteOfUpdate(update)) && listener(update)),
    listMachines: async () => (await data.listMachines()).filter((m) => scope.has(m.site)),
    machineTimeline: async (site, node, range) => (sees(site) ? data.machineTimeline(site, node, range) : null),
    machineJobs: async (site, node, range) => (sees(site) ? data.machineJobs(site, node, range) : null),
    machineUsage: async (site, node, range, by) => (sees(site) ? data.machineUsage(site, node, range, by) : null),
    machineCurrent: async (site, node, range, points) => (sees(site) ? data.machineCurrent(site, node, range, points) : null),
    listAlarms: listAlarmsInScope,
    acknowledgeAlarm: async (id, by) => {
      // The hub acknowledges by id alone: find the alarm among the scope's sites first.
      for (const state of ['active', 'history'] as const) {
        const found = (await listAlarmsInScope({ state, limit: ACK_SEARCH_LIMIT })).some((a) => a.id === id);
        if (found) return data.acknowledgeAlarm(id, by);
      }
      // Counted only when it is another site's alarm, not a mistyped id.
      for (const state of ['active', 'history'] as const) {
        if ((await data.listAlarms({ state, limit: ACK_SEARCH_LIMIT })).some((a) => a.id === id)) {
          refused('alarm');
          break;
        }
      }
      return { outcome: 'not_found', alarm: null };
    },
    listBenches: async () => (await data.listBenches()).filter((b) => scope.has(b.site)),
    benchScores: async (site, node, range, limit) => (sees(site) ? data.benchScores(site, node, range, limit) : null),
    machineOee: async (site, node, range, by) => (sees(site) ? data.machineOee(site, node, range, by) : null),
    machineStops: async (site, node, range) => (sees(site) ? data.machineStops(site, node, range) : null),
    stopsNeedingReason: async (withinMs) => (await data.stopsNeedingReason(withinMs)).filter((s) => scope.has(s.site)),
    setStopReason: async (input, by) => (sees(input.site) ? data.setStopReason(input, by) : { ok: false, error: 'unknown_machine' }),
    downtimePareto: async (range, machine) => {
      if (machine) return sees(machine.site) ? data.downtimePareto(range, machine) : mergePareto([], now());
      // "All machines" of a scoped viewer: the Pareto of each of its machines, added up.
      const machines = await data.listMachines();
      const parts = await Promise.all(machines.filter((m) => scope.has(m.site)).map((m) => data.downtimePareto(range, { site: m.site, node: m.node })));
      return mergePareto(parts, now());
    },
    downtimeReasons: async (machine) => (machine && !sees(machine.site) ? [] : data.downtimeReasons(machine)),
    listQualityEntries: async (site, node, range) => (sees(site) ? data.listQualityEntries(site, node, range) : null),
    addQualityEntry: async (input, by) => (sees(input.site) ? data.addQualityEntry(input, by) : { ok: false, error: 'unknown_machine' }),
    andonBoard: async () => {
      const board = await data.andonBoard();
      return { ...board, tiles: board.tiles.filter((t) => scope.has(t.site)) };
    },
  };
}

/** Every method of the hub's data source bound to it (the ones a scope does not change pass through). */
function bindAll(data: DashboardDataSource): DashboardDataSource {
  const out: Record<string, unknown> = {};
  let proto: object | null = data;
  while (proto && proto !== Object.prototype) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const value = (data as unknown as Record<string, unknown>)[key];
      if (key !== 'constructor' && typeof value === 'function' && !(key in out)) out[key] = (value as (...a: unknown[]) => unknown).bind(data);
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return out as unknown as DashboardDataSource;
}

type Pareto = Awaited<ReturnType<DashboardDataSource['downtimePareto']>>;

/** Bars of several machines added up by code, largest first (the hub's own order). */
export function mergePareto(parts: readonly Pareto[], nowIfNone: number): Pareto {
  const bars = new Map<string, Pareto['bars'][number]>();
  let totalS = 0;
  let now = parts.length === 0 ? nowIfNone : 0;
  for (const part of parts) {
    totalS += part.totalS;
    now = Math.max(now, part.now);
    for (const bar of part.bars) {
      const seen = bars.get(bar.code);
      bars.set(bar.code, seen ? { ...seen, totalS: seen.totalS + bar.totalS, count: seen.count + bar.count } : { ...bar });
    }
  }
  return { bars: [...bars.values()].sort((a, b) => b.totalS - a.totalS || a.code.localeCompare(b.code)), totalS, now };
}

/** Node routes by what they are about, for counting refusals: `/api/<kind>/<site>/…`. */
export const SITE_ROUTE_PREFIXES = { machine: '/api/machines/:site', bench: '/api/benches/:site', image: '/api/nodes/:site' } as const;

/**
 * Counts (once per request) a scoped viewer's request for a node route of another site; the
 * route itself then answers 404 through the scoped data source. Mount before the routes.
 */
export function countSiteRefusals(ctx: DashboardContext): RequestHandler[] {
  return Object.entries(SITE_ROUTE_PREFIXES).map(([what, prefix]) => {
    const counter: RequestHandler = async (req, _res, next) => {
      const site: unknown = (req.params as Record<string, unknown>).site;
      if (typeof site === 'string' && isValidId(site)) {
        const session = await sessionFromRequest(ctx.sessions, req);
        const scope = session ? scopeOfSession(session) : null;
        if (session && scope !== null && !scope.has(site)) ctx.siteRefused(what, session.user.username);
      }
      next();
    };
    const router = Router({ mergeParams: true });
    router.use(prefix, counter);
    return router;
  });
}

const LOCALS_KEY = 'scopedData';

/**
 * The data source a route uses for node data: the hub's own for a session that sees every
 * site, the scoped view otherwise. Needs the session (after requireSession).
 */
export function dataFor(ctx: DashboardContext, res: Response): DashboardDataSource {
  const locals = res.locals as Record<string, unknown>;
  const cached = locals[LOCALS_KEY] as DashboardDataSource | undefined;
  if (cached) return cached;
  const session = sessionOf(res);
  const scope = scopeOfSession(session);
  const data = scope === null ? ctx.dataSource : scopedDataSource(ctx.dataSource, scope, (what) => ctx.siteRefused(what, session.user.username), ctx.now);
  locals[LOCALS_KEY] = data;
  return data;
}
