/**
 * A real SMTP server (smtp-server) on 127.0.0.1 for mail tests: STARTTLS with its built-in
 * self-signed certificate, AUTH required, every accepted message parsed with mailparser.
 * It can be closed and started again on the same port (an SMTP outage).
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type SmtpPeerOptions = {
  user?: string;
  password?: string;
  /** Recipients answered with a permanent 550 at RCPT TO. */
  rejectRecipients?: string[];
};

export type ReceivedMail = { envelopeTo: string[]; authUser: string | null; secure: boolean; parsed: ParsedMail };

export type SmtpPeer = {
  readonly port: number;
  readonly received: ReceivedMail[];
  /** (Re)starts listening on the same port. */
  listen(): Promise<void>;
  close(): Promise<void>;
};

export const SMTP_USER = 'mieruka@example.com';
export const SMTP_PASSWORD = 'app-password-123';

export async function startSmtpPeer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const user = options.user ?? SMTP_USER;
  const password = options.password ?? SMTP_PASSWORD;
  const received: ReceivedMail[] = [];
  const reject = new Set((options.rejectRecipients ?? []).map((r) => r.toLowerCase()));
  let server: SMTPServer | null = null;
  let port = 0;

  const make = () =>
    new SMTPServer({
      logger: false,
      disableReverseLookup: true,
      authMethods: ['PLAIN', 'LOGIN'],
      closeTimeout: 200,
      onAuth(auth, _session, callback) {
        if (auth.username === user && auth.password === password) callback(null, { user: auth.username });
        else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo(address, _session, callback) {
        if (reject.has(address.address.toLowerCase())) callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
        else callback();
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((parsed) => {
            received.push({
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              authUser: typeof session.user === 'string' ? session.user : null,
              secure: session.secure,
              parsed,
            });
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });

  const peer: SmtpPeer = {
    get port() {
      return port;
    },
    received,
    listen: () =>
      new Promise<void>((resolve, reject) => {
        const s = make();
        s.on('error', () => undefined); // client resets during tests are expected
        s.server.once('error', reject);
        s.listen(port, '127.0.0.1', () => {
          const address = s.server.address();
          if (address && typeof address === 'object') port = address.port;
          server = s;
          resolve();
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        const s = server;
        server = null;
        if (!s) {
          resolve();
          return;
        }
        s.close(() => resolve());
      }),
  };
  await peer.listen();
  return peer;
}
