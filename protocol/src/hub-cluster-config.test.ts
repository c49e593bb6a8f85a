import { describe, expect, it } from 'vitest';
import { parseConfig, redactConfig } from './config-parse.js';

describe('hub.cluster config (fleet mode)', () => {
  it('is absent by default: one hub, broker state on disk', () => {
    expect(parseConfig({}).hub.cluster).toBeUndefined();
  });

  it('takes a redis:// or rediss:// URL from the file or MIERUKA_HUB__CLUSTER__REDIS_URL, and shows it with the password masked', () => {
    const password = 'fleet-redis-pw-93';
    const config = parseConfig({ env: { MIERUKA_HUB__CLUSTER__REDIS_URL: `redis://:${password}@10.0.0.5:6379/0`, MIERUKA_HUB__CLUSTER__HUB_ID: 'hub-a' } });
    expect(config.hub.cluster).toEqual({ redisUrl: `redis://:${password}@10.0.0.5:6379/0`, hubId: 'hub-a' });
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain(password);
    expect(shown).toContain('redis://***@10.0.0.5:6379/0');
    expect(parseConfig({ overrides: { hub: { cluster: { redisUrl: 'rediss://redis.example:6380' } } } }).hub.cluster?.redisUrl).toBe('rediss://redis.example:6380');
  });

  it('refuses other schemes and hub ids that would not read well in logs and labels, with a clear message', () => {
    expect(() => parseConfig({ overrides: { hub: { cluster: { redisUrl: 'http://10.0.0.5:6379' } } } })).toThrow(/hub\.cluster\.redisUrl: use a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => parseConfig({ overrides: { hub: { cluster: {} } } })).toThrow(/hub\.cluster\.redisUrl/);
    expect(() => parseConfig({ overrides: { hub: { cluster: { redisUrl: 'redis://h:6379', hubId: 'hub a' } } } })).toThrow(/hub\.cluster\.hubId: use 1–63 characters/);
  });
});

describe('hub.store config (fleet mode)', () => {
  it('is absent by default: the SQLite file in the data dir', () => {
    expect(parseConfig({}).hub.store).toBeUndefined();
  });

  it('takes a postgres:// URL from the file or MIERUKA_HUB__STORE__URL, and shows it with the password masked', () => {
    const password = 'fleet-pg-pw-17';
    const config = parseConfig({ env: { MIERUKA_HUB__STORE__URL: `postgres://mieruka:${password}@10.0.0.6:5432/mieruka` } });
    expect(config.hub.store?.url).toBe(`postgres://mieruka:${password}@10.0.0.6:5432/mieruka`);
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain(password);
    expect(shown).toContain('10.0.0.6:5432/mieruka');
    expect(parseConfig({ overrides: { hub: { store: { url: 'postgresql://db.example/mieruka' } } } }).hub.store?.url).toBe('postgresql://db.example/mieruka');
  });

  it('refuses another database URL with a clear message', () => {
    expect(() => parseConfig({ overrides: { hub: { store: { url: 'mysql://db.example/mieruka' } } } })).toThrow(/hub\.store\.url: use a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(() => parseConfig({ overrides: { hub: { store: {} } } })).toThrow(/hub\.store\.url/);
  });
});
