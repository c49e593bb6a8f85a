/** Version of the Mieruka software, reported in `status` payloads. Keep in step with package.json. */
export const MIERUKA_VERSION = '0.1.0';
