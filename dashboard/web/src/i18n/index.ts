/**
 * Every string the UI shows, in Japanese (default) and English. Each area keeps its own
 * message file (common, machine, production, bench, alarms, settings, system) with keys prefixed by the area;
 * this module merges them and owns the language choice.
 */
import { computed, signal } from '@preact/signals';
import * as alarms from './alarms.js';
import * as bench from './bench.js';
import * as common from './common.js';
import * as machine from './machine.js';
import * as production from './production.js';
import * as settings from './settings.js';
import * as system from './system.js';

export type Lang = 'ja' | 'en';

const ja = { ...common.ja, ...machine.ja, ...production.ja, ...bench.ja, ...alarms.ja, ...settings.ja, ...system.ja };
export type MessageKey = keyof typeof ja;
const en: Record<MessageKey, string> = { ...common.en, ...machine.en, ...production.en, ...bench.en, ...alarms.en, ...settings.en, ...system.en };

const TABLE: Record<Lang, Record<MessageKey, string>> = { ja, en };
const STORAGE_KEY = 'mieruka.lang';

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'ja' || saved === 'en') return saved;
  } catch {
    // Storage may be blocked (private mode); fall back to the server's default.
  }
  return document.documentElement.lang === 'en' ? 'en' : 'ja';
}

export const lang = signal<Lang>(initialLang());
export const locale = computed(() => (lang.value === 'ja' ? 'ja-JP' : 'en-GB'));

export function setLang(next: Lang): void {
  lang.value = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not persisted; the switch still works for this page.
  }
}

/** Looks up a string in the current language and fills `{name}` placeholders. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const text = TABLE[lang.value][key];
  return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
}

/** Whether a key exists (for keys built from data, e.g. a reason word). */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(TABLE.ja, key);
}
