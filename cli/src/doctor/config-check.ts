/**
 * Check 1, config: the file is found, parses and is valid, through the real loader
 * (load-config.ts) whose errors are shown as they are. The other checks need a config: they
 * skip when this one fails.
 */
import { DEFAULT_CONFIG_FILES } from '../load-config.js';
import { fail, ok, text, warn, type CheckOutcome, type ConfigSource } from './check.js';

export function configOutcome(source: ConfigSource): CheckOutcome {
  if (!source.ok) {
    const where = source.file ?? DEFAULT_CONFIG_FILES.join(', ');
    if (source.code === 'CONFIG_UNREADABLE') {
      return fail(
        text(`cannot read ${where}: ${source.error}`, `${where} を読めません: ${source.error}`),
        text('check the path given with --config (or MIERUKA_CONFIG) and that this user may read the file', '--config（または MIERUKA_CONFIG）のパスと、このユーザーにファイルの読み取り権限があるかを確認してください'),
      );
    }
    return fail(
      text(`${where} is not valid: ${source.error}`, `${where} に誤りがあります: ${source.error}`),
      text('correct the fields named above (docs/config.md lists every key), then run mieruka doctor again', '上に示された項目を直してから（全項目は docs/config.md）、もう一度 mieruka doctor を実行してください'),
    );
  }
  if (source.file === undefined) {
    return warn(
      text(`no config file found (looked for ${DEFAULT_CONFIG_FILES.join(', ')}); the defaults are used`, `設定ファイルが見つかりません（${DEFAULT_CONFIG_FILES.join(', ')} を探しました）。既定値で動きます`),
      text('write /etc/mieruka/mieruka.yaml (docs/config.md), or give --config <file>', '/etc/mieruka/mieruka.yaml を作成するか（docs/config.md）、--config <file> を指定してください'),
    );
  }
  return ok(text(`${source.file} is valid`, `${source.file} は正しい設定です`));
}
