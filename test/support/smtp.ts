import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  from: string;
  to: string[];
  raw: Buffer;
}

/**
 * A real SMTP server on loopback (the smtp-server package) that records what it accepts. With `auth`, only
 * that user may send; `reject(address)` refuses a recipient with 550 from then on; `failNext(code)` answers
 * the next RCPT TO with `code` (451 to test a retry, 550 a permanent refusal).
 */
export async function startSmtpCapture(auth?: { user: string; password: string }) {
  const received: CapturedMail[] = [];
  const rejected = new Set<string>();
  const failures: number[] = [];
  const server = new SMTPServer({
    secure: false,
    hideSTARTTLS: true,
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(credentials, _session, cb) {
      if (auth && credentials.username === auth.user && credentials.password === auth.password)
        cb(null, { user: credentials.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      const code = failures.shift();
      if (code !== undefined)
        cb(Object.assign(new Error(`${code} mailbox unavailable`), { responseCode: code }));
      else if (rejected.has(address.address.toLowerCase()))
        cb(Object.assign(new Error('5.1.1 Mailbox does not exist'), { responseCode: 550 }));
      else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        cb(null);
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    received,
    reject: (address: string) => rejected.add(address.toLowerCase()),
    failNext: (code: number) => failures.push(code),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
