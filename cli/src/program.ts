import { Command } from 'commander';
import { MIERUKA_VERSION } from '@mieruka/protocol';
import { registerBackupCommands } from './backup-command.js';
import { registerBridgeCommand } from './bridge-command.js';
import { registerClutterCommand } from './clutter-command.js';
import type { CliContext } from './context.js';
import { registerDemoCommand } from './demo-command.js';
import { registerDeviceCommand } from './device-command.js';
import { registerDoctorCommand } from './doctor/doctor-command.js';
import { registerHubCommand } from './hub-command.js';
import { registerMachineCommand } from './machine-command.js';
import { registerPatliteCommand } from './patlite-command.js';
import { registerPatliteRelayCommand } from './patlite-relay-command.js';
import { registerStationCommand } from './station-command.js';
import { registerStoreCommand } from './store-command.js';
import { registerUserCommand } from './user-command.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command()
    .name('mieruka')
    .description('Mieruka (見える化): shop-floor monitoring — machine running monitor and work-bench clutter score')
    .version(MIERUKA_VERSION)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerDemoCommand(program, ctx);
  registerHubCommand(program, ctx);
  registerBridgeCommand(program, ctx);
  registerMachineCommand(program, ctx);
  registerPatliteCommand(program, ctx);
  registerPatliteRelayCommand(program, ctx);
  registerClutterCommand(program, ctx);
  registerStationCommand(program, ctx);
  registerUserCommand(program, ctx);
  registerDeviceCommand(program, ctx);
  registerDoctorCommand(program, ctx);
  registerStoreCommand(program, ctx);
  registerBackupCommands(program, ctx);
  return program;
}
