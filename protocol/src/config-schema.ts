/**
 * The one configuration file (YAML). Every section belongs to one service; every field has a
 * sensible default so an empty file (or none) runs the demo. See docs/config.md.
 */
import { z } from 'zod';
import { AlertsConfig } from './config-alerts.js';

export { AlertsConfig, TowerConfig, WebhookConfig, WEBHOOK_FORMATS, type WebhookFormat } from './config-alerts.js';
import { Hsv, Host, Id, Point, Port, Slot, TimeZone } from './config-fields.js';


/**
 * A machining cycle is a load peak: current above `aboveA` for at least `minS`, ended by at
 * least `minGapS` below it (shorter dips belong to the same cycle).
 */
const MachineCycles = z.strictObject({
  /** Load level of a cycle (amperes RMS), above the machine's running level. */
  aboveA: z.number().min(0).max(10_000),
  /** Shorter peaks are not cycles (tool changes, spindle starts). */
  minS: z.number().min(0).max(86_400).default(2),
  /** A dip must last this long to end a cycle. */
  minGapS: z.number().min(0).max(3600).default(1),
  /** Ideal (fastest sustainable) cycle time; absent = learned as the 10th percentile of the last 30 days' cycles. */
  idealCycleS: z.number().positive().max(86_400).optional(),
});

const MachineEnergy = z.strictObject({
  /** Line-to-line voltage for three-phase, line voltage for single-phase. */
  voltageV: z.number().positive().max(1000).default(200),
  phases: z.union([z.literal(1), z.literal(3)]).default(3),
  /** cos φ: real power / apparent power. */
  powerFactor: z.number().positive().max(1).default(0.85),
});

const MachineSensor = z.strictObject({
  /**
   * Readings at or below this are the ADC's floor: no current reaches the clamp at all. If the
   * machine's calibrated off level (`offLevelA`) is above it, a floor reading means the clamp is
   * unplugged or the sensor broken, not a machine that is off.
   */
  floorA: z.number().min(0).max(10).default(0.02),
  /** Floor readings for this long raise a sensor fault (state unknown, no downtime booked). */
  floorAfterS: z.number().min(1).max(86_400).default(60),
  /** The machine's standby current when off, from calibration; absent = a floor reading may be a machine that is off. */
  offLevelA: z.number().min(0).max(10_000).optional(),
});

const GpioButton = z.strictObject({
  /** BCM GPIO line. */
  gpio: z.int().min(0).max(63),
  /** Pressed pulls the line low (pull-up wiring, the usual). */
  activeLow: z.boolean().default(true),
});
const MachineButtons = z.strictObject({ good: GpioButton.optional(), scrap: GpioButton.optional() });

/** A machine watched by a CT clamp, keyed by its node id (thresholds in amperes RMS). */
export const MachineConfig = z
  .strictObject({
    /** Shown on the dashboard instead of the id. */
    name: z.string().max(100).optional(),
    /** Serial channel (0-based) of the CT clamp on this machine. */
    channel: z.int().min(0).max(15).default(0),
    /** Below this the machine is off (amperes RMS). */
    offBelowA: z.number().min(0).default(0.3),
    /** Above this the machine is running; in between it is idle. */
    runningAboveA: z.number().min(0).default(1.5),
    /** A new state must hold this long before it is reported (no event storms). */
    minDwellS: z.number().min(0).max(3600).default(3),
    /**
     * Dead band around each threshold (amperes): to cross a threshold upwards the current must
     * exceed it by this much, downwards fall below it by this much.
     */
    hysteresisA: z.number().min(0).default(0.1),
    /** No reading for this long → state `unknown` and a `sensor_offline` event. */
    offlineAfterS: z.number().min(1).max(86_400).default(15),
    /** Machining cycles from load peaks (docs/oee.md); absent = not counted (no Performance). */
    cycles: MachineCycles.optional(),
    /** Electrical supply for energy figures (defaults: 200 V three-phase, power factor 0.85). */
    energy: MachineEnergy.prefault({}),
    /** Telling a dead sensor from a machine that is off (docs/oee.md#sensor-honesty). */
    sensor: MachineSensor.prefault({}),
    /** Good / scrap push buttons wired to the bridge's Pi (BCM GPIO lines). */
    buttons: MachineButtons.prefault({}),
  })
  .refine((m) => m.runningAboveA > m.offBelowA, { message: 'runningAboveA must be greater than offBelowA', path: ['runningAboveA'], params: { ja: 'runningAboveA は offBelowA より大きくしてください' } })
  .refine((m) => m.runningAboveA <= m.offBelowA || m.runningAboveA - m.hysteresisA > m.offBelowA + m.hysteresisA, {
    message: 'hysteresisA is too wide: the idle band between offBelowA and runningAboveA would vanish',
    path: ['hysteresisA'],
    params: { ja: 'hysteresisA が大きすぎます: offBelowA と runningAboveA の間の待機の帯がなくなります' },
  });

export const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

/** A work shift; `end` before `start` means the shift runs past midnight. */
export const ShiftConfig = z
  .strictObject({
    /** Shown in reports; unique. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'use a-z, 0-9, "_" and "-"'),
    start: Slot,
    end: Slot,
    /** Days the shift starts on. */
    days: z.array(Weekday).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']),
  })
  .refine((s) => s.start !== s.end, { message: 'start and end must differ', path: ['end'], params: { ja: '開始と終了は違う時刻にしてください' } });

/** A downtime reason in the config's default list (admins edit the list on the dashboard). */
export const DowntimeReasonConfig = z.strictObject({
  code: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'use a-z, 0-9, "_" and "-"'),
  en: z.string().trim().min(1).max(60),
  ja: z.string().trim().min(1).max(60),
  category: z.enum(['breakdown', 'setup', 'planned', 'other']),
  /** Node ids it is offered for; empty = every machine. */
  machines: z.array(Id).max(200).default([]),
});

const OeeConfig = z
  .strictObject({
    /** Electricity price for energy cost (yen per kWh). */
    tariffYenPerKWh: z.number().min(0).max(1000).default(30),
    /** Stops at least this long wait for a reason on the dashboard and the kiosk. */
    askReasonAfterS: z.int().min(10).max(86_400).default(300),
    /** Stops shorter than this are microstops: grouped as minor stops, never prompted. */
    microstopBelowS: z.int().min(0).max(3600).default(60),
    /** The reasons offered when nobody has edited the list yet. */
    reasons: z
      .array(DowntimeReasonConfig)
      .max(50)
      .default([
        { code: 'breakdown', en: 'Breakdown', ja: '故障', category: 'breakdown', machines: [] },
        { code: 'setup', en: 'Setup / changeover', ja: '段取り', category: 'setup', machines: [] },
        { code: 'material', en: 'Waiting for material', ja: '材料待ち', category: 'other', machines: [] },
        { code: 'operator', en: 'No operator', ja: '作業者不在', category: 'other', machines: [] },
        { code: 'tooling', en: 'Tool change', ja: '工具交換', category: 'setup', machines: [] },
        { code: 'quality', en: 'Quality check', ja: '品質確認', category: 'other', machines: [] },
        { code: 'break', en: 'Planned break', ja: '休憩 (計画停止)', category: 'planned', machines: [] },
        { code: 'maintenance', en: 'Planned maintenance', ja: '計画保全', category: 'planned', machines: [] },
      ])
      .refine((r) => new Set(r.map((x) => x.code)).size === r.length, 'reason codes must be unique'),
  })
  .prefault({})
  .refine((o) => o.microstopBelowS <= o.askReasonAfterS, { message: 'microstopBelowS must not exceed askReasonAfterS', path: ['microstopBelowS'], params: { ja: 'microstopBelowS は askReasonAfterS 以下にしてください' } });

/** Station camera; `file` reads a photo or the newest photo of a folder (tests, demos). */
const StationCamera = z.strictObject({
  /** USB webcam (v4l2), IP camera snapshot (http) or stream (rtsp), Pi camera (rpicam), or photos on disk (file). */
  type: z.enum(['v4l2', 'http', 'rtsp', 'file', 'rpicam']).default('v4l2'),
  /** v4l2 device, e.g. /dev/video0 (default). */
  device: z.string().min(1).max(255).optional(),
  /** Snapshot URL (http) or stream URL (rtsp). */
  url: z.string().regex(/^(https?|rtsp):\/\//, 'use an http://, https:// or rtsp:// URL').max(2000).optional(),
  /** Photo file or folder (type file). */
  path: z.string().min(1).max(1000).optional(),
  /** Requested frame size in pixels. */
  width: z.int().min(16).max(8192).default(1920),
  height: z.int().min(16).max(8192).default(1080),
  /** Frames thrown away first, so exposure and white balance settle. */
  warmupFrames: z.int().min(0).max(300).default(10),
  /** A shot that takes longer fails (and is retried at the next slot). */
  timeoutMs: z.int().min(500).max(120_000).default(15_000),
});
/** LED light relay: on during a shot (and while PIR sees someone). */
const StationLight = z.strictObject({
  /** BCM GPIO line; absent = no light. */
  gpio: z.int().min(0).max(63).optional(),
  /** The relay switches on when the line is low. */
  activeLow: z.boolean().default(false),
  /** Wait after switching on before shooting. */
  settleMs: z.int().min(0).max(30_000).default(1500),
});
/** PIR motion sensor: switches the light on while someone is at the bench. */
const StationMotion = z.strictObject({
  /** BCM GPIO line of the PIR output; absent = no motion sensor. */
  gpio: z.int().min(0).max(63).optional(),
  /** A change must hold this long to count (PIR outputs chatter). */
  debounceMs: z.int().min(0).max(10_000).default(200),
  /** Light stays on this long after the last motion. */
  lightOffDelayS: z.number().min(0).max(3600).default(60),
});
/** What the station says: text per language (text-to-speech), or a WAV/MP3 file played instead. */
const voiceLineFields = {
  /** What the station says, per language. */
  text: z.strictObject({ ja: z.string().min(1).max(500).optional(), en: z.string().min(1).max(500).optional() }).optional(),
  /** WAV or MP3 file played instead of text-to-speech. */
  file: z.string().min(1).max(1000).optional(),
};
const hasLine = (b: { file?: string | undefined; text?: { ja?: string | undefined; en?: string | undefined } | undefined }) => b.file !== undefined || b.text?.ja !== undefined || b.text?.en !== undefined;
const VoiceLine = z.strictObject(voiceLineFields).refine(hasLine, { message: 'give text (ja/en) or a file', path: ['text'] });
const VoiceBand = z
  .strictObject({
    /** This band applies when score ≤ maxScore (bands are tried from low to high). */
    maxScore: z.number().min(0).max(100),
    ...voiceLineFields,
  })
  .refine(hasLine, { message: 'give text (ja/en) or a file', path: ['text'] });
/**
 * A line when someone arrives at the bench (the PIR sees motion after a quiet spell), chosen by
 * the station's latest score. Spoken only inside the work `shifts` (in `timezone`) of the
 * station's own config file, and never over another message.
 */
const StationMotionVoice = z.strictObject({
  /** Off by default: in a shared workshop a bench that talks to everyone walking past surprises people; switch it on where its users want it. */
  enabled: z.boolean().default(false),
  /** No motion for this long (seconds) before new motion counts as an arrival. */
  quietS: z.number().min(0).max(86_400).default(600),
  /** At least this long (seconds) between two arrival lines. */
  cooldownS: z.number().min(0).max(86_400).default(900),
  /** Arrival lines by band of the latest score, lowest maxScore first. */
  bands: z
    .array(VoiceBand)
    .min(1)
    .max(10)
    .default([
      { maxScore: 20, text: { ja: 'こんにちは。作業台はきれいに片付いています。', en: 'Hello. The bench is tidy.' } },
      { maxScore: 50, text: { ja: 'こんにちは。作業台が少し散らかっています。使った物は元に戻しましょう。', en: 'Hello. The bench is a little cluttered. Please put things back after use.' } },
      { maxScore: 100, text: { ja: 'こんにちは。作業台がかなり散らかっています。まず片付けから始めましょう。', en: 'Hello. The bench is cluttered. Please start by tidying up.' } },
    ]),
  /** Said while the station has no score yet (a new station, before its first shot). */
  noScore: VoiceLine.default({ text: { ja: 'こんにちは。今日もよろしくお願いします。', en: 'Hello. Have a good day at the bench.' } }),
});
/** Spoken encouragement after a shot, chosen by score band. */
const StationVoice = z.strictObject({
  /** The end-of-day message at the last slot. */
  enabled: z.boolean().default(true),
  language: z.enum(['ja', 'en']).default('ja'),
  /** Lines by score band, lowest maxScore first. */
  bands: z
    .array(VoiceBand)
    .max(10)
    .default([
      { maxScore: 20, text: { ja: 'きれいに片付いています。お疲れさまでした。', en: 'The bench is tidy. Well done.' } },
      { maxScore: 50, text: { ja: '少し散らかっています。片付けをお願いします。', en: 'The bench is a little cluttered. Please tidy up.' } },
      { maxScore: 100, text: { ja: 'かなり散らかっています。片付けてから帰りましょう。', en: 'The bench is cluttered. Please tidy up before you go.' } },
    ]),
  /** Text-to-speech engine (espeak-ng is installed by default; the others sound more natural in Japanese). */
  tts: z.enum(['espeak', 'openjtalk', 'voicevox']).default('espeak'),
  /** VOICEVOX engine, normally on loopback. */
  voicevoxUrl: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:50021'),
  /** VOICEVOX speaker (voice) number. */
  voicevoxSpeaker: z.int().min(0).max(1000).default(1),
  /** Open JTalk voice (.htsvoice) and dictionary directory. */
  openjtalkVoice: z.string().min(1).max(1000).optional(),
  openjtalkDict: z.string().min(1).max(1000).optional(),
  /** Plays the rendered WAV (aplay from alsa-utils) or MP3/WAV files (ffmpeg). */
  player: z.enum(['aplay', 'ffmpeg']).default('aplay'),
  onMotion: StationMotionVoice.prefault({}),
});

/** A clutter station (camera over a green mat), keyed by its node id. */
export const StationConfig = z
  .strictObject({
    /** Shown on the dashboard instead of the id. */
    name: z.string().max(100).optional(),
    /** Local times (in `timezone`) of the scheduled shots. */
    slots: z.array(Slot).max(24).default(['09:00', '12:00', '17:00']),
    /** HSV range of the mat, OpenCV conventions (H 0–179). */
    hsvLower: Hsv.default([35, 60, 40]),
    /** Upper end of the mat's HSV range. */
    hsvUpper: Hsv.default([85, 255, 255]),
    /** Corners of the mat in the photo (pixels): top-left, top-right, bottom-right, bottom-left. Absent: whole frame. */
    roi: z.tuple([Point, Point, Point, Point]).optional(),
    /** Morphological close-then-open kernel size in pixels; 0 turns denoising off. */
    denoise: z.int().min(0).max(99).default(0),
    /** OpenCV backend: native addon when it loads (auto), or forced. */
    backend: z.enum(['auto', 'native', 'wasm']).default('auto'),
    camera: StationCamera.prefault({}),
    light: StationLight.prefault({}),
    motion: StationMotion.prefault({}),
    voice: StationVoice.prefault({}),
  })
  .refine((s) => s.hsvLower.every((v, i) => v <= (s.hsvUpper[i] ?? 0)), { message: 'hsvLower must not exceed hsvUpper', path: ['hsvLower'] });

/** Sent to the ESP32 after each hello (docs/firmware.md). */
const Calibration = z.strictObject({
  /** CT clamp channel (0-based). */
  channel: z.int().min(0).max(15),
  /** The clamp's ratio (e.g. 30 for a 30 A / 1 V SCT-013-030). */
  ampsPerVolt: z.number().positive().optional(),
  /** The channel's noise floor (A RMS); the firmware subtracts it in quadrature. */
  noiseA: z.number().min(0).optional(),
});

export const ConfigSchema = z.strictObject({
  /** Site id: the third topic level. */
  site: Id.default('factory'),
  /** IANA time zone for schedules, shifts and day boundaries. */
  timezone: TimeZone.default('Asia/Tokyo'),
  /** JSON logs on stderr (journald under systemd). */
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  hub: z
    .strictObject({
      /** SQLite database, broker state and images. */
      dataDir: z.string().min(1).default('./data'),
      mqtt: z
        .strictObject({
          /** Address the MQTT (TCP) listener binds to. */
          host: Host.default('0.0.0.0'),
          /** MQTT over TCP; 0 picks a free port. */
          port: Port.default(1883),
          /** MQTT over WebSocket is served on the HTTP port at this path. */
          wsPath: z.string().regex(/^\/[a-z0-9/_-]*$/).default('/mqtt'),
          /**
           * Clients without an account: only over loopback (default; the demo and a one-Pi
           * setup), never, or from anywhere (only when written explicitly; logged loudly).
           */
          anonymous: z.enum(['loopback', 'off', 'on']).default('loopback'),
          /** Extra rules in Mosquitto acl_file syntax; they narrow, never widen, the built-in ones. */
          aclFile: z.string().min(1).optional(),
          /**
           * MQTT over TLS on its own port (mqtts://), beside plain TCP; absent = no TLS listener.
           * PEM files, read at hub start. With `ca`, clients must also show a certificate signed
           * by it (mutual TLS); accounts and the ACL apply as on TCP.
           */
          tls: z
            .strictObject({
              /** Required with tls; 0 picks a free port. */
              port: Port,
              /** PEM server certificate (chain after it, if any). */
              cert: z.string().min(1),
              /** Its PEM private key, unencrypted; readable by the hub only. */
              key: z.string().min(1),
              /** Clients must show a certificate signed by this CA (mutual TLS). */
              ca: z.string().min(1).optional(),
              /** Default: hub.mqtt.host. */
              host: Host.optional(),
            })
            .optional(),
          /** What one client may cost the hub (TCP, TLS and WebSocket alike); see docs/security.md. */
          limits: z
            .strictObject({
              /** Largest MQTT packet after its fixed header; images are at most 512 KiB. */
              maxPayloadBytes: z.int().min(600 * 1024).max(256 * 1024 * 1024).default(1024 * 1024),
              /** Deeper topics are refused. */
              maxTopicLevels: z.int().min(8).max(100).default(32),
              /** New connections per remote address per second (loopback is not limited). */
              connectionsPerIpPerSecond: z.int().min(1).max(10_000).default(20),
              /** Inbound QoS 2 messages awaiting PUBREL per client. */
              maxInflight: z.int().min(1).max(65_535).default(100),
              /** Packets a client may send before its CONNECT is processed. */
              queueLimit: z.int().min(1).max(10_000).default(42),
            })
            .prefault({}),
        })
        .refine((m) => !m.tls || m.tls.port === 0 || m.tls.port !== m.port, { message: 'the TLS port must differ from hub.mqtt.port', path: ['tls', 'port'] })
        .prefault({}),
      /** The dashboard, its API and MQTT over WebSocket. */
      http: z
        .strictObject({
          /** Address the HTTP listener binds to. */
          host: Host.default('0.0.0.0'),
          /** 0 picks a free port. */
          port: Port.default(8080),
        })
        .prefault({}),
      /** How readings reach the database. */
      ingest: z
        .strictObject({
          /** Rows per transaction at most. */
          batchSize: z.int().min(1).max(10_000).default(500),
          /** How long a reading may wait before it is written. */
          flushIntervalMs: z.int().min(10).max(60_000).default(250),
          /**
           * A reading whose `ts` is further ahead of the hub's clock than this is refused and
           * counted (reason future-ts): one from 2099 would otherwise freeze its node's state.
           */
          maxFutureSkewS: z.int().min(1).max(31_536_000).default(300),
          /** New nodes join by themselves up to these caps; beyond, they are refused and listed as asking to join. */
          maxNodesPerSite: z.int().min(1).max(100_000).default(200),
          maxSites: z.int().min(1).max(10_000).default(50),
          /**
           * Off: every new node is refused and listed as asking to join until an admin admits
           * it (known nodes keep reporting). An admin may switch it on the settings page.
           */
          autoJoin: z.boolean().default(true),
        })
        .prefault({}),
      /** Clutter images on disk: the oldest are pruned past either limit (the newest of each node is kept). */
      images: z
        .strictObject({
          /** Older images are deleted (scores stay; the API says imageAvailable: false). */
          retentionDays: z.int().min(1).max(36_500).default(400),
          /** Past this, the oldest images go first. */
          maxTotalMB: z.int().min(1).max(1_048_576).default(2048),
          /** How often the pruning runs. */
          pruneIntervalMin: z.int().min(1).max(1440).default(60),
        })
        .prefault({}),
      /**
       * Old rows of the database, deleted every night at `at` (local time in `timezone`), a batch
       * at a time. Raw samples (current readings, motion) go after readingsDays; the history
       * (states, status messages, jobs, clutter scores, cleared alarms, sent mails) after
       * historyDays. 0 keeps forever. Users, accounts and the usage roll-ups are not touched.
       */
      retention: z
        .strictObject({
          /** Raw current readings and motion samples; 0 keeps them forever. */
          readingsDays: z.int().min(0).max(36_500).default(90),
          /** States, events, clutter scores, cleared alarms, the status log and sent mails; 0 keeps them forever. */
          historyDays: z.int().min(0).max(36_500).default(3650),
          /** Local time (in `timezone`) of the nightly run. */
          at: Slot.default('03:30'),
          /** Rows per DELETE; ingest gets the event loop between two batches. */
          batchRows: z.int().min(100).max(100_000).default(5000),
        })
        .prefault({}),
      /**
       * Prometheus `GET /metrics` on the HTTP port (docs/prometheus.md). An admin's dashboard
       * session may always read it; a scraper sends `Authorization: Bearer <token>`, accepted
       * only when a token is set here.
       */
      metrics: z
        .strictObject({
          /** Secret: the scraper's bearer token; URL-safe characters, never logged. Absent: no token is accepted. */
          token: z
            .string()
            .regex(/^[A-Za-z0-9_-]{24,256}$/, 'use 24–256 characters from A–Z a–z 0–9 _ - (e.g. `openssl rand -base64 32 | tr "+/" "-_" | tr -d =`)')
            .optional(),
        })
        .optional(),
      /** POSTs every clutter score as JSON (e.g. to a spreadsheet's web-app URL). Off when absent. */
      clutterWebhook: z
        .strictObject({
          /** Secret (the token is usually in the URL): never logged. */
          url: z.url({ protocol: /^https?$/, error: 'use an http:// or https:// URL' }),
          /** One POST that takes longer is a failure (retried with back-off). */
          timeoutMs: z.int().min(100).max(120_000).default(10_000),
          /** Language of the text fields (slot label). Default: dashboard.language. */
          lang: z.enum(['ja', 'en']).optional(),
          /** Scores waiting to be sent; the oldest are dropped past this. */
          maxQueue: z.int().min(1).max(100_000).default(1000),
          /** Also post each machine's utilization of the day once it has ended (docs/sheets/README.md). */
          dailyUtilization: z.boolean().default(false),
        })
        .optional(),
      /**
       * Fleet mode (docs/scaling.md): several hubs behind one name share the broker's state —
       * subscriptions, retained messages, QoS 1 sessions and their queues, wills — and route
       * messages to each other through Redis. Absent: one hub, broker state on disk (LevelDB).
       */
      cluster: z
        .strictObject({
          /** Secret when it holds a password (redis://:password@host:6379/0, rediss:// for TLS): logged and shown with it masked (redactUrl). */
          redisUrl: z.url({ protocol: /^rediss?$/, error: 'use a redis:// or rediss:// URL' }),
          /** This hub's name in logs, status and metrics; must differ between hubs. Default: the host name. */
          hubId: z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'use 1–63 characters from A–Z a–z 0–9 . _ - (e.g. hub-a)')
            .optional(),
        })
        .optional(),
      /**
       * Fleet mode (docs/scaling.md): the hubs' shared PostgreSQL database instead of the SQLite
       * file in the data dir; every hub of the fleet names the same one. Absent: SQLite.
       */
      store: z
        .strictObject({
          /**
           * postgres://user@host:5432/mieruka (postgresql:// too). A password in it is a secret,
           * logged and shown masked; better kept out of the file, in the service's PGPASSWORD or
           * ~/.pgpass, which the PostgreSQL client reads.
           */
          url: z.url({ protocol: /^postgres(ql)?$/, error: 'use a postgres:// or postgresql:// URL' }),
          /**
           * One hub leads the fleet (alert rules and channels, roll-ups, retention): the others try
           * to take over this often, and the leader checks its connection as often, so a dead
           * leader is replaced within about this many seconds (twice it at most).
           */
          failoverS: z.int().min(1).max(60).default(5),
        })
        .optional(),
      /**
       * Home Assistant MQTT discovery (docs/home-assistant.md): the hub publishes retained
       * sensor configs on its own broker so Home Assistant, connected as an observer, lists each
       * machine and bench as a device. Off by default; switching it off removes them at the next start.
       */
      homeAssistant: z
        .strictObject({
          /** Publish discovery configs (and each machine's utilization today, see docs/topics.md). */
          discovery: z.boolean().default(false),
          /** Home Assistant's discovery prefix (its MQTT integration setting; `homeassistant` unless changed there). */
          prefix: z
            .string()
            .regex(/^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/, 'use topic levels of A–Z a–z 0–9 _ - separated by /, no wildcards')
            .max(128)
            .refine((p) => !p.startsWith('mieruka/'), 'must not lie under mieruka/')
            .default('homeassistant'),
        })
        .prefault({}),
    })
    .prefault({}),
  /** The web dashboard (docs/dashboard.md). */
  dashboard: z
    .strictObject({
      /** The admin account applied at every hub start (other users: `mieruka user`). */
      adminUser: z.string().min(1).max(64).default('admin'),
      /** Secret. When absent, `mieruka demo` generates one and prints it once. */
      adminPassword: z.string().min(8, 'use at least 8 characters').max(256).optional(),
      /** Default language of the dashboard, mails and chat messages. */
      language: z.enum(['ja', 'en']).default('ja'),
      /** A login lasts this long (no sliding renewal). */
      sessionHours: z.number().positive().max(24 * 90).default(12),
      /** Read-only wall display at http://<hub>/kiosk/<token>; off by default. */
      kiosk: z
        .strictObject({
          /** Needs a token. */
          enabled: z.boolean().default(false),
          /** Secret (it is the display's password and sits in its URL): URL-safe characters only. */
          token: z
            .string()
            .regex(/^[A-Za-z0-9_-]{24,256}$/, 'use 24–256 characters from A–Z a–z 0–9 _ - (e.g. `openssl rand -base64 32 | tr "+/" "-_" | tr -d =`)')
            .optional(),
          /** How long a display stays logged in (default 30 days). */
          sessionHours: z.number().positive().max(24 * 366).default(24 * 30),
        })
        .refine((k) => !k.enabled || k.token !== undefined, { message: 'kiosk.enabled needs kiosk.token', path: ['token'] })
        .prefault({}),
      /**
       * Express "trust proxy": false (default, clients connect directly), true (every proxy;
       * only when the hub is reachable through the proxy alone), a number of proxy hops, or a
       * list of proxy addresses/CIDRs (and loopback, linklocal, uniquelocal; comma-separated
       * text too, for the environment).
       */
      trustProxy: z
        .preprocess(
          (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v),
          z.union(
            [
              z.boolean(),
              z.int().min(0).max(10),
              z.array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6(), z.enum(['loopback', 'linklocal', 'uniquelocal'])])).min(1).max(32),
            ],
            { error: 'use false, true, a number of proxy hops (0–10) or a list of proxy IP addresses/CIDR ranges (loopback, linklocal, uniquelocal allowed)' },
          ),
        )
        .default(false),
    })
    .prefault({}),
  /** `mieruka bridge` on an edge Pi; the MQTT link fields also serve `station` and `patlite-relay`. */
  bridge: z
    .strictObject({
      /** Serial device; when absent the bridge looks in /dev/serial/by-id. */
      serialPort: z.string().min(1).optional(),
      /** Must match the firmware (docs/serial-protocol.md). */
      baudRate: z.int().positive().default(115200),
      /** The hub's broker; with an account: mqtts://factory%2Fmill-1@hub.local:8883. */
      mqttUrl: z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'use mqtt://, mqtts://, ws:// or wss://').default('mqtt://127.0.0.1:1883'),
      /**
       * Other hubs of the same cluster (docs/scaling.md), tried in turn after mqttUrl when the
       * hub in use is unreachable or drops the connection. Same scheme and path as mqttUrl; no
       * user name or password in them (the account of mqttUrl and mqttPasswordFile is used).
       */
      mqttFailoverUrls: z.array(z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'use mqtt://, mqtts://, ws:// or wss://')).max(8).default([]),
      /** File whose first line is the MQTT password (for the user name in mqttUrl; overrides a password there). */
      mqttPasswordFile: z.string().min(1).optional(),
      /** PEM CA certificate(s) that signed the broker's certificate (mqtts:// and wss:// with a private CA). */
      mqttCaFile: z.string().min(1).optional(),
      /** PEM client certificate and its key, for a broker that requires one (mutual TLS); both or neither. */
      mqttCertFile: z.string().min(1).optional(),
      /** Private key of mqttCertFile. */
      mqttKeyFile: z.string().min(1).optional(),
      /** Node id (fourth topic level) of the machine this bridge watches; or --node. */
      node: Id.optional(),
      calibration: z.array(Calibration).max(16).default([]),
      /** Cap of the serial reconnect back-off. */
      reconnectMaxMs: z.int().min(100).max(600_000).default(10_000),
      /**
       * The agent's store-and-forward queue (docs/store-and-forward.md), one per node under
       * --data-dir: when it is full the oldest messages are dropped (counted, logged, in status).
       */
      queue: z
        .strictObject({
          /** Default ≈ 11 days of 1 Hz readings (at least 7 days with states and events). */
          maxMessages: z.int().min(100).max(100_000_000).default(1_000_000),
          /** Default 512 MiB; at least 1 MiB so an image (≤ 512 KiB) always fits. */
          maxBytes: z.int().min(1024 * 1024).max(64 * 1024 ** 3).default(512 * 1024 * 1024),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Work shifts for utilization reports (in `timezone`). */
  shifts: z
    .array(ShiftConfig)
    .max(16)
    .default([{ name: 'day', start: '08:00', end: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] }])
    .refine((shifts) => new Set(shifts.map((s) => s.name)).size === shifts.length, 'shift names must be unique'),
  /** Per machine thresholds, keyed by node id (docs/machine-monitor.md). */
  machines: z.record(Id, MachineConfig).default({}),
  /** Clutter stations, keyed by node id (docs/clutter.md). */
  stations: z.record(Id, StationConfig).default({}),
  /** Rules, mail, signal towers and webhooks (docs/alerts.md). */
  alerts: AlertsConfig,
  /** OEE, downtime reasons and energy (docs/oee.md). */
  oee: OeeConfig,
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
export type MachineConfig = z.infer<typeof MachineConfig>;
export type StationConfig = z.infer<typeof StationConfig>;
export type ShiftConfig = z.infer<typeof ShiftConfig>;

/** Paths of fields whose values must never be logged. */
export const SECRET_PATHS = [
  ['dashboard', 'adminPassword'],
  ['dashboard', 'kiosk', 'token'],
  ['alerts', 'smtp', 'password'],
  ['alerts', 'ackSecret'],
  ['hub', 'clutterWebhook', 'url'],
  ['hub', 'metrics', 'token'],
  ['alerts', 'webhooks', '*', 'url'],
  ['alerts', 'webhooks', '*', 'headers'],
] as const;
