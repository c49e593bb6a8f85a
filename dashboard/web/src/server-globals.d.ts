/**
 * The shared wire types (../src/data-source.ts) mention Node's Buffer in a method the
 * browser never calls; this stands in for it so the web type check needs no Node types.
 */
type Buffer = Uint8Array;
