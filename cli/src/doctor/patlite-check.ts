/**
 * Check 8, PATLITE: each PNS tower in alerts.towers answers a status request (read only: its
 * lamps are left as they are), through the hub's own PNS client. Relay towers are driven by an
 * edge agent's GPIO and are not reachable from here.
 */
import { combine, fail, ok, reason, skip, text, type Check, type CheckOutcome } from './check.js';

export const patliteCheck: Check = {
  id: 'patlite',
  title: text('PATLITE signal tower', 'パトライト（信号灯）'),
  timeoutMs: (ctx) => ctx.config.alerts.towers.reduce((sum, t) => sum + t.timeoutMs, 0) + 5_000,
  async run(ctx) {
    const towers = ctx.config.alerts.towers.filter((t) => t.type === 'pns');
    if (towers.length === 0) return skip(text('no PNS tower configured (alerts.towers)', 'PNS の信号灯が設定されていません（alerts.towers）'));
    const { PnsClient, describePnsStatus } = await import('@mieruka/broker');
    const parts: CheckOutcome[] = [];
    for (const t of towers) {
      if (t.host === undefined || t.model === undefined) continue; // the schema requires both for pns
      const client = new PnsClient({ host: t.host, port: t.port, model: t.model, timeoutMs: t.timeoutMs, la6Command: t.la6Command });
      try {
        const status = await client.status();
        const shows = describePnsStatus(status).join(', ');
        parts.push(ok(text(`${t.name} (${client.address}): answers — ${shows}`, `${t.name}（${client.address}）: 応答あり — ${shows}`)));
      } catch (err) {
        parts.push(
          fail(
            text(`${t.name} (${client.address}): ${reason(err)}`, `${t.name}（${client.address}）: ${reason(err)}`),
            text('check the tower power and LAN cable, its IP address and port (PNS default 10000), the model (la6/nh), and that PNS control is enabled in the tower; try mieruka patlite --host <ip> --model <model> --status', '信号灯の電源と LAN ケーブル、IP アドレスとポート（PNS 既定 10000）、機種（la6/nh）、PNS 制御が有効かを確認し、mieruka patlite --host <ip> --model <機種> --status を試してください'),
          ),
        );
      }
    }
    return combine(parts);
  },
};
