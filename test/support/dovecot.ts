import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';

export interface DovecotUser {
  user: string;
  password: string;
}

export interface Dovecot {
  host: string;
  port: number;
  dir: string;
  /** Delivers one message into `folder` (created when missing) by IMAP APPEND, as a mail client would. */
  append(user: DovecotUser, folder: string, raw: Buffer | string, date?: Date): Promise<number>;
  /** The folder's current UIDVALIDITY. */
  uidValidity(user: DovecotUser, folder: string): Promise<bigint>;
  /** Delivers many messages over one connection, in order; returns their UIDs. */
  appendMany(user: DovecotUser, folder: string, raws: (Buffer | string)[]): Promise<number[]>;
  /** Deletes and recreates `folder`: the server assigns it a new UIDVALIDITY. */
  recreateFolder(user: DovecotUser, folder: string): Promise<void>;
  stop(): Promise<void>;
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function idOf(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
  return { uid, gid };
}

/**
 * Starts a private Dovecot (Debian's dovecot-imapd) on 127.0.0.1 and a free port, with its own config,
 * a passwd-file of plaintext passwords and maildirs in a temporary directory. As root (CI) the mail
 * processes run as the package's `dovecot` user and logins as `dovenull`; otherwise everything runs as
 * the current user.
 */
export async function startDovecot(users: DovecotUser[]): Promise<Dovecot> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sb-dovecot-'));
  await chmod(dir, 0o755);
  const port = await freePort();
  const root = process.getuid?.() === 0;
  const me = root ? idOf('dovecot') : { uid: process.getuid!(), gid: process.getgid!() };
  const loginUser = root ? 'dovenull' : execFileSync('id', ['-un']).toString().trim();
  const internalUser = root ? 'dovecot' : loginUser;
  const mailDir = path.join(dir, 'mail');
  await mkdir(mailDir);
  if (root) await chown(mailDir, me.uid, me.gid);
  await writeFile(
    path.join(dir, 'passwd'),
    users.map((u) => `${u.user}:{PLAIN}${u.password}:${me.uid}:${me.gid}::${mailDir}/${u.user}\n`).join(''),
  );
  const conf = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = ${loginUser}
default_internal_user = ${internalUser}
first_valid_uid = ${Math.min(me.uid, 500)}
mail_location = maildir:~/Maildir
mail_max_userip_connections = 100
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
  # No auth penalty: a mailbox configured with a wrong password (a test) must not slow down the others' logins.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`;
  const confPath = path.join(dir, 'dovecot.conf');
  await writeFile(confPath, conf);
  // /usr/sbin is not on a normal user's PATH.
  const binary =
    process.env.DOVECOT_BIN ?? (existsSync('/usr/sbin/dovecot') ? '/usr/sbin/dovecot' : 'dovecot');
  const proc: ChildProcess = spawn(binary, ['-F', '-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d) => (output += d));
  proc.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    await Promise.race([
      waitForPort(port),
      exited.then(() => {
        throw new Error(`dovecot exited: ${output}`);
      }),
    ]);
  } catch (err) {
    const log = await readFile(path.join(dir, 'dovecot.log'), 'utf8').catch(() => '');
    proc.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${log}`);
  }

  const withClient = async <T>(u: DovecotUser, fn: (c: ImapFlow) => Promise<T>): Promise<T> => {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: u.user, pass: u.password },
      logger: false,
    });
    client.on('error', () => {});
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.logout().catch(() => client.close());
    }
  };
  const ensureFolder = async (c: ImapFlow, folder: string) => {
    if (folder.toUpperCase() === 'INBOX') return;
    const list = await c.list();
    if (!list.some((m) => m.path === folder)) await c.mailboxCreate(folder);
  };

  return {
    host: '127.0.0.1',
    port,
    dir,
    append: (u, folder, raw, date) =>
      withClient(u, async (c) => {
        await ensureFolder(c, folder);
        const res = await c.append(folder, raw, [], date);
        if (!res) throw new Error('APPEND failed');
        return res.uid ?? 0;
      }),
    appendMany: (u, folder, raws) =>
      withClient(u, async (c) => {
        await ensureFolder(c, folder);
        const uids: number[] = [];
        for (const raw of raws) {
          const res = await c.append(folder, raw);
          if (!res) throw new Error('APPEND failed');
          uids.push(res.uid ?? 0);
        }
        return uids;
      }),
    uidValidity: (u, folder) =>
      withClient(u, async (c) => {
        const st = await c.status(folder, { uidValidity: true });
        if (!st || st.uidValidity === undefined) throw new Error(`no UIDVALIDITY for ${folder}`);
        return BigInt(st.uidValidity);
      }),
    recreateFolder: (u, folder) =>
      withClient(u, async (c) => {
        await ensureFolder(c, folder);
        await c.mailboxDelete(folder);
        await c.mailboxCreate(folder);
      }),
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
