/**
 * `npm run user:password -- <login>`: reads a password (twice, without echo when on a terminal, or one line
 * from stdin) and prints the scrypt hash to put in the config as the manager's `password`.
 */
import { createInterface } from 'node:readline';
import { hashPassword } from './password.js';

async function readSecret(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  if (process.stdin.isTTY) {
    process.stderr.write(prompt);
    // Hide what is typed: readline echoes through _writeToOutput.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  }
  const line = await new Promise<string>((resolve) => rl.once('line', resolve));
  rl.close();
  if (process.stdin.isTTY) process.stderr.write('\n');
  return line;
}

const login = process.argv[2];
if (!login) {
  process.stderr.write('usage: npm run user:password -- <login>\n');
  process.exit(2);
}
const password = await readSecret(`password for ${login}: `);
if (process.stdin.isTTY && (await readSecret('again: ')) !== password) {
  process.stderr.write('the passwords differ\n');
  process.exit(1);
}
if (password.length < 4) {
  process.stderr.write('too short\n');
  process.exit(1);
}
process.stdout.write(`${await hashPassword(password)}\n`);
process.stderr.write(`put it in the config: managers[login=${login}].password (or password: \${ENV_NAME})\n`);
