/** Who gets alert mails: the usual list, the escalation list (each address with an optional language), and the timings. */
import { t } from '../../i18n/index.js';
import type { RuntimeSettings } from '../../types.js';
import { FieldIssues, hasIssue, NumberField, Section } from './fields.js';
import { recipientAddress } from './settings-form.js';
import type { SectionProps } from './section-props.js';

type Recipient = RuntimeSettings['recipients']['default'][number];

function recipient(address: string, language: string): Recipient {
  return language === 'ja' || language === 'en' ? { address, language } : address;
}

export function RecipientsEditor(props: SectionProps) {
  const { s, set, server, hints } = props;
  return (
    <Section title={t('settings_recipients')} testid="settings-recipients">
      <div class="recipient-lists">
        <RecipientList {...props} list="default" title={t('settings_recipientsDefault')} addTestid="recipient-add" />
        <RecipientList {...props} list="escalation" title={t('settings_recipientsEscalation')} addTestid="escalation-add" />
      </div>
      <div class="inline-fields">
        <label>
          <span class="label">{t('settings_escalateAfterMin')}</span>
          <NumberField
            value={s.recipients.escalateAfterMin}
            label={t('settings_escalateAfterMin')}
            unit={t('settings_unitMin')}
            testid="recipients-escalateAfterMin"
            invalid={hasIssue(server, hints, ['recipients', 'escalateAfterMin'])}
            onChange={(v) => set(['recipients', 'escalateAfterMin'], v)}
          />
          <FieldIssues server={server} hints={hints} path={['recipients', 'escalateAfterMin']} />
        </label>
        <label>
          <span class="label">{t('settings_remindEveryMin')}</span>
          <NumberField
            value={s.recipients.remindEveryMin}
            label={t('settings_remindEveryMin')}
            unit={t('settings_unitMin')}
            testid="recipients-remindEveryMin"
            invalid={hasIssue(server, hints, ['recipients', 'remindEveryMin'])}
            onChange={(v) => set(['recipients', 'remindEveryMin'], v)}
          />
          <FieldIssues server={server} hints={hints} path={['recipients', 'remindEveryMin']} />
        </label>
      </div>
    </Section>
  );
}

function RecipientList({ s, set, server, hints, list, title, addTestid }: SectionProps & { list: 'default' | 'escalation'; title: string; addTestid: string }) {
  const items = s.recipients[list];
  const base = ['recipients', list] as const;
  return (
    <div class="recipient-list" data-testid={`recipients-${list}`}>
      <h4>{title}</h4>
      {items.length === 0 && <p class="muted">{t('settings_noRecipients')}</p>}
      {items.map((r, i) => {
        const address = recipientAddress(r);
        const language = typeof r === 'string' ? '' : (r.language ?? '');
        return (
          <div class="recipient-row" key={i} data-testid="recipient-row">
            <input
              type="email"
              autocomplete="off"
              placeholder="name@example.com"
              aria-label={`${title} ${t('settings_address')} ${i + 1}`}
              data-testid={`recipient-${list}-${i}-address`}
              class={hasIssue(server, hints, [...base, i]) ? 'invalid' : undefined}
              value={address}
              onInput={(e) => set([...base, i], recipient(e.currentTarget.value.trim(), language))}
            />
            <select
              aria-label={`${title} ${t('settings_language')} ${i + 1}`}
              data-testid={`recipient-${list}-${i}-language`}
              value={language}
              onChange={(e) => set([...base, i], recipient(address, e.currentTarget.value))}
            >
              <option value="">{t('settings_langDefault')}</option>
              <option value="ja">日本語</option>
              <option value="en">English</option>
            </select>
            <button type="button" class="remove" onClick={() => set([...base], items.filter((_x, j) => j !== i))}>
              {t('settings_remove')}
            </button>
            <div class="row-issues">
              <FieldIssues server={server} hints={hints} path={[...base, i]} />
            </div>
          </div>
        );
      })}
      <button type="button" data-testid={addTestid} onClick={() => set([...base], [...items, ''])}>
        + {t('settings_addRecipient')}
      </button>
      <FieldIssues server={server} hints={hints} path={[...base]} />
    </div>
  );
}
