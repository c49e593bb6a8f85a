/** Node-only helpers (the web app imports the protocol root, which must stay free of node:fs). */
export { makeDirs, makeDirsSync } from './make-dirs.js';
export { writeFileAtomic, writeFileAtomicSync, type WriteFileAtomicOptions } from './write-file-atomic.js';
