/** Whether new nodes join by themselves or wait for an admin on the System page. */
import { Link } from '../../components/link.js';
import { t } from '../../i18n/index.js';
import { paths } from '../../router.js';
import { FieldIssues, Section } from './fields.js';
import type { SectionProps } from './section-props.js';

export function NewNodes({ s, set, server, hints }: SectionProps) {
  // A document saved before the switch existed has no `ingest`: the hub then uses its file (default on).
  const autoJoin = s.ingest?.autoJoin ?? true;
  return (
    <Section title={t('settings_ingest')} help={t('settings_ingestHelp')} testid="settings-new-nodes">
      <label class="check-row">
        <input
          type="checkbox"
          class="big-check"
          data-testid="settings-auto-join"
          checked={autoJoin}
          onChange={(e) => set(['ingest'], { autoJoin: e.currentTarget.checked })}
        />
        {t('settings_autoJoin')}
      </label>
      <p class="muted">{autoJoin ? t('settings_autoJoinOn') : t('settings_autoJoinOff')}</p>
      <p>
        <Link href={paths.system()}>{t('settings_systemLink')}</Link>
      </p>
      <FieldIssues server={server} hints={hints} path={['ingest']} />
    </Section>
  );
}
