/**
 * Error-code catalogue. Every error Mieruka raises on purpose carries one of these codes;
 * the HTTP layer maps codes to status codes in one place (dashboard/src/http-errors.ts).
 */
export const ERROR_CODES = {
  CONFIG_INVALID: 'configuration is invalid',
  CONFIG_UNREADABLE: 'configuration file cannot be read',
  PAYLOAD_INVALID: 'payload does not match the contract',
  TOPIC_INVALID: 'topic is not a Mieruka v1 topic',
  SERIAL_LINE_INVALID: 'serial line is not a protocol message',
  SERIAL_PORT_UNAVAILABLE: 'serial port cannot be opened',
  NOT_FOUND: 'not found',
  UNAUTHORIZED: 'login required',
  FORBIDDEN: 'not allowed',
  BAD_REQUEST: 'bad request',
  RATE_LIMITED: 'too many requests',
  STORE_FAILED: 'storage failed',
  IMAGE_INVALID: 'image cannot be decoded',
  CAMERA_UNAVAILABLE: 'camera cannot be read',
  DEPENDENCY_MISSING: 'a required system program is missing',
  PATLITE_TIMEOUT: 'the PATLITE signal tower did not answer in time',
  PATLITE_NAK: 'the PATLITE signal tower refused the command (NAK)',
  PATLITE_BAD_REPLY: 'the PATLITE signal tower sent a reply that is not PNS',
  PATLITE_CONNECTION_FAILED: 'the PATLITE signal tower cannot be reached',
  WEBHOOK_FAILED: 'the webhook could not be delivered',
  SETTINGS_INVALID: 'the settings are not valid',
  CONFLICT: 'someone else changed this meanwhile',
  CSRF_FAILED: 'the request lacks the session\'s CSRF token (reload the page)',
  TLS_UNTRUSTED: 'the TLS peer\'s certificate is not trusted (wrong CA, wrong host name or expired)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The catalogue in Japanese: what the dashboard API answers when the request prefers ja. */
export const ERROR_CODES_JA: Readonly<Record<ErrorCode, string>> = {
  CONFIG_INVALID: '設定が正しくありません',
  CONFIG_UNREADABLE: '設定ファイルを読めません',
  PAYLOAD_INVALID: 'データが規約に合っていません',
  TOPIC_INVALID: 'Mieruka v1 のトピックではありません',
  SERIAL_LINE_INVALID: 'シリアルの行がプロトコルのメッセージではありません',
  SERIAL_PORT_UNAVAILABLE: 'シリアルポートを開けません',
  NOT_FOUND: '見つかりません',
  UNAUTHORIZED: 'ログインが必要です',
  FORBIDDEN: '許可されていません',
  BAD_REQUEST: 'リクエストが正しくありません',
  RATE_LIMITED: 'リクエストが多すぎます',
  STORE_FAILED: '保存に失敗しました',
  IMAGE_INVALID: '画像をデコードできません',
  CAMERA_UNAVAILABLE: 'カメラを読めません',
  DEPENDENCY_MISSING: '必要なシステムプログラムがありません',
  PATLITE_TIMEOUT: 'PATLITE 信号灯が時間内に応答しませんでした',
  PATLITE_NAK: 'PATLITE 信号灯がコマンドを拒否しました (NAK)',
  PATLITE_BAD_REPLY: 'PATLITE 信号灯の応答が PNS ではありません',
  PATLITE_CONNECTION_FAILED: 'PATLITE 信号灯に接続できません',
  WEBHOOK_FAILED: 'Webhook を送信できませんでした',
  SETTINGS_INVALID: '設定値が正しくありません',
  CONFLICT: 'その間に他の人が変更しました',
  CSRF_FAILED: 'セッションの CSRF トークンがありません (ページを再読み込みしてください)',
  TLS_UNTRUSTED: 'TLS 相手の証明書を信頼できません (CA・ホスト名の誤りか期限切れ)',
};

export class MierukaError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; details?: unknown }) {
    super(message ?? ERROR_CODES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MierukaError';
    this.code = code;
    this.details = options?.details;
  }
}

export function isMierukaError(err: unknown, code?: ErrorCode): err is MierukaError {
  return err instanceof MierukaError && (code === undefined || err.code === code);
}
