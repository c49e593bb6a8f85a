/** The dashboard's in-memory session store against the suite the hub's SQLite table passes too. */
import { describeSessionRecords } from '../../../test/helpers/session-records-suite.js';
import { MemorySessionRecords } from './memory-session-records.js';

describeSessionRecords('in memory', () => ({ records: new MemorySessionRecords(), close: () => undefined }), { persistent: false });
