/** The GPIO check asks edge's GPIO port (a fake one here: GPIO is a hardware edge). */
import { describe, expect, it } from 'vitest';
import { FakeGpioPort } from '@mieruka/edge';
import { doctorContext, neverAborted } from '../test-support/doctor-context.js';
import { gpioCheck } from './gpio-check.js';

const withLight = { stations: { 'bench-1': { light: { gpio: 17 }, motion: { gpio: 27 } } } };

describe('gpio check', () => {
  it('is ok when the GPIO chip is accessible, naming the lines in use', async () => {
    const out = await gpioCheck.run(doctorContext(withLight, { gpio: new FakeGpioPort({ accessible: true }) }), neverAborted);
    expect(out).toMatchObject({ status: 'ok', message: { en: 'GPIO accessible for bench-1 light 17, bench-1 PIR 27' } });
  });

  it('fails with the port\'s reason when it is not', async () => {
    const out = await gpioCheck.run(doctorContext(withLight, { gpio: new FakeGpioPort({ accessible: false }) }), neverAborted);
    expect(out.status).toBe('fail');
    expect(out.message.en).toContain('fake GPIO is not accessible');
    expect(out.fix?.en).toContain('gpio group');
  });

  it('skips when no station uses a GPIO line', async () => {
    const out = await gpioCheck.run(doctorContext({ stations: { 'bench-1': {} } }, { gpio: new FakeGpioPort({ accessible: false }) }), neverAborted);
    expect(out.status).toBe('skip');
  });
});
