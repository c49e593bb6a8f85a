/**
 * Check 3, serial: the bridge's port (bridge.serialPort, or the one it would find under
 * /dev/serial/by-id) is present, opens, and speaks the protocol. Lines are read through the
 * bridge's own reader and line parser: ok at the first valid line; after the listening time,
 * fail with how many lines were garbage (wrong baud rate, wrong device, no firmware).
 */
import { stat } from 'node:fs/promises';
import { pino } from 'pino';
import type { SerialMessage } from '@mieruka/protocol';
import { fail, ok, skip, text, type Check, type CheckOutcome } from './check.js';

const describe = (m: SerialMessage): string =>
  m.type === 'hello' ? `hello fw ${m.fw}, ${m.channels} channel(s)` : m.type === 'rms' ? `rms ${m.irms.map((a) => `${a} A`).join(' ')}` : `ack ${m.cmd}`;

export async function probeSerialPort(path: string, baudRate: number, listenMs: number, signal: AbortSignal): Promise<CheckOutcome> {
  const fixPresent = text('plug in the ESP32 (USB), check `ls -l /dev/serial/by-id/`, and set bridge.serialPort to its path', 'ESP32 を USB で接続し、`ls -l /dev/serial/by-id/` を確認して bridge.serialPort にそのパスを設定してください');
  try {
    await stat(path);
  } catch {
    return fail(text(`${path}: not present`, `${path}: 見つかりません`), fixPresent);
  }
  const { SerialLineReader } = await import('@mieruka/firmware-bridge');
  // One attempt: no reconnect within the listening time, no watchers.
  const reader = new SerialLineReader({ path, baudRate, logger: pino({ level: 'silent' }), reconnect: { initialMs: 600_000 }, appearCheckMs: 0, deviceCheckMs: 0 });
  let first: SerialMessage | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    const arrived = new Promise<void>((resolve) => {
      reader.once('message', (m) => {
        first = m;
        resolve();
      });
      timer = setTimeout(resolve, listenMs);
      signal.addEventListener('abort', () => resolve(), { once: true });
    }).finally(() => clearTimeout(timer));
    await reader.start();
    const opened = reader.stats();
    if (!opened.open) {
      const said = text(`${path}: cannot be opened (${opened.lastError ?? 'unknown error'})`, `${path}: 開けません（${opened.lastError ?? '不明なエラー'}）`);
      // serialport locks the port: the running bridge holds it.
      if (/cannot lock port/i.test(opened.lastError ?? '')) {
        return fail(said, text('the port is in use, most likely by the running bridge: stop it for the check (sudo systemctl stop mieruka-bridge@<node>), then start it again', 'ポートは使用中です（多くは動作中のブリッジ）: チェックの間だけ止めてください（sudo systemctl stop mieruka-bridge@<ノード>）。後で再開してください'));
      }
      return fail(
        said,
        text('add the user to the dialout group (sudo usermod -aG dialout <user>, then log in again) and stop other programs using the port', 'ユーザーを dialout グループに追加し（sudo usermod -aG dialout <ユーザー> の後、再ログイン）、ポートを使う他のプログラムを止めてください'),
      );
    }
    await arrived;
  } finally {
    clearTimeout(timer);
    await reader.stop();
  }
  const stats = reader.stats();
  const garbage = Object.values(stats.skipped).reduce((a, b) => a + b, 0);
  if (first) return ok(text(`${path}: speaks the protocol (${describe(first)})`, `${path}: プロトコルを受信（${describe(first)}）`));
  const seconds = (listenMs / 1000).toFixed(1);
  return fail(
    text(`${path}: no valid line in ${seconds} s / ${garbage} garbage lines (${stats.bytes} bytes)`, `${path}: ${seconds} 秒間に正しい行なし / 不正な行 ${garbage} 行（${stats.bytes} バイト）`),
    garbage > 0
      ? text(`check bridge.baudRate (now ${baudRate}; the firmware uses 115200) and that this port is the ESP32 with the Mieruka firmware`, `bridge.baudRate（現在 ${baudRate}。ファームウェアは 115200）と、このポートが Mieruka ファームウェアの ESP32 かを確認してください`)
      : text('nothing was received: flash the Mieruka firmware (docs/firmware.md), press the ESP32 reset button, check the USB cable carries data', '何も受信しません: Mieruka ファームウェアを書き込み（docs/firmware.md）、ESP32 のリセットボタンを押し、USB ケーブルがデータ通信用か確認してください'),
  );
}

export const serialCheck: Check = {
  id: 'serial',
  title: text('serial port (ESP32)', 'シリアルポート（ESP32）'),
  timeoutMs: (ctx) => ctx.serialListenMs + 10_000,
  async run(ctx, signal) {
    const { bridge, machines } = ctx.config;
    let path = bridge.serialPort;
    if (path === undefined) {
      if (Object.keys(machines).length === 0) return skip(text('no bridge.serialPort and no machines configured', 'bridge.serialPort も machines も設定されていません'));
      const { findSerialPort, DEFAULT_BY_ID_DIR } = await import('@mieruka/firmware-bridge');
      const found = await findSerialPort();
      if (found === null) {
        return fail(
          text(`machines are configured but no serial device is under ${DEFAULT_BY_ID_DIR}`, `machines が設定されていますが ${DEFAULT_BY_ID_DIR} にシリアル機器がありません`),
          text('plug in the ESP32 (USB) or set bridge.serialPort', 'ESP32 を USB で接続するか、bridge.serialPort を設定してください'),
        );
      }
      path = found;
    }
    return probeSerialPort(path, bridge.baudRate, ctx.serialListenMs, signal);
  },
};
