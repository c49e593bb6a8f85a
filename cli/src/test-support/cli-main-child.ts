/** The real `mieruka` command from this checkout's sources (bundled by test/helpers/bundle-child.ts). */
import { main } from '../main.js';

await main(process.argv);
