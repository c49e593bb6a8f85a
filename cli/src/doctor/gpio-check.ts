/**
 * Check 5a, GPIO: when a station switches a light or reads a PIR sensor, the GPIO chip is
 * accessible through edge's GPIO port (onoff on sysfs).
 */
import { fail, ok, skip, text, type Check } from './check.js';

export const gpioCheck: Check = {
  id: 'gpio',
  title: text('GPIO (light, PIR)', 'GPIO（照明・人感センサー）'),
  timeoutMs: () => 10_000,
  async run(ctx) {
    const lines = Object.entries(ctx.config.stations).flatMap(([id, s]) => [
      ...(s.light.gpio === undefined ? [] : [`${id} light ${s.light.gpio}`]),
      ...(s.motion.gpio === undefined ? [] : [`${id} PIR ${s.motion.gpio}`]),
    ]);
    if (lines.length === 0) return skip(text('no station uses a GPIO line (light.gpio, motion.gpio)', 'GPIO を使うステーションはありません（light.gpio, motion.gpio）'));
    const gpio = ctx.gpio ?? new (await import('@mieruka/edge')).OnoffGpioPort();
    const available = await gpio.availability();
    if (!available.ok) {
      return fail(
        text(`GPIO needed for ${lines.join(', ')} but not usable: ${available.reason}`, `${lines.join(', ')} に GPIO が必要ですが使えません: ${available.reason}`),
        text('run on the Raspberry Pi and add the user to the gpio group (sudo usermod -aG gpio <user>, then log in again)', 'Raspberry Pi 上で実行し、ユーザーを gpio グループに追加してください（sudo usermod -aG gpio <ユーザー> の後、再ログイン）'),
      );
    }
    return ok(text(`GPIO accessible for ${lines.join(', ')}`, `GPIO を使用可能: ${lines.join(', ')}`));
  },
};
