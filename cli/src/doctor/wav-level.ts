/**
 * The loudest sample of a WAV file, 0–1: tells a rendered phrase from silence. Reads the PCM
 * `data` chunk (8/16/32-bit integer); espeak-ng streams with an unknown data length, so the
 * chunk runs to the end of the file.
 */
export function wavPeak(wav: Buffer): number | null {
  if (wav.length < 12 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') return null;
  let bits = 16;
  let offset = 12;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 16 <= wav.length) bits = wav.readUInt16LE(body + 14);
    if (id === 'data') {
      const end = Math.min(wav.length, body + size);
      const step = bits / 8;
      if (![1, 2, 4].includes(step)) return null;
      let peak = 0;
      for (let i = body; i + step <= end; i += step) {
        const v = step === 1 ? Math.abs(wav.readUInt8(i) - 128) / 128 : step === 2 ? Math.abs(wav.readInt16LE(i)) / 32768 : Math.abs(wav.readInt32LE(i)) / 2 ** 31;
        if (v > peak) peak = v;
      }
      return peak;
    }
    offset = body + size + (size % 2);
  }
  return null;
}
