import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { type Config, configSchema } from './schema.js';
import { unknownKeys } from './unknown-keys.js';

export const EXAMPLE_CONFIG_PATH = fileURLToPath(
  new URL('../../config/switchboard.example.yaml', import.meta.url),
);

/** What the process environment contributes. Read once in main and passed in; never read at import time. */
export interface RuntimeSettings {
  config: Config;
  configPath: string;
  port: number;
  databaseUrl?: string;
  dataDir: string;
  /** Extra bearer token from SWITCHBOARD_API_TOKEN, accepted beside the configured ones. */
  envApiToken?: string;
}

export async function loadSettings(env: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<RuntimeSettings> {
  const configPath = path.resolve(cwd, env.SWITCHBOARD_CONFIG || EXAMPLE_CONFIG_PATH);
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${configPath}: ${(err as Error).message}`);
  }
  const parsed = parseConfig(text, env, configPath);
  // HOST overrides server.host (a container listens on its own interface; its port is published on loopback).
  const host = env.HOST?.trim();
  const config = host ? { ...parsed, server: { ...parsed.server, host } } : parsed;
  let port = config.server.port;
  if (env.PORT !== undefined && env.PORT !== '') {
    port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new ConfigError(`PORT: not a port number: "${env.PORT}"`);
  }
  const envApiToken = env.SWITCHBOARD_API_TOKEN?.trim();
  if (envApiToken !== undefined && envApiToken !== '' && envApiToken.length < 16)
    throw new ConfigError('SWITCHBOARD_API_TOKEN: at least 16 characters');
  return {
    config,
    configPath,
    port,
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    dataDir: path.resolve(cwd, env.SWITCHBOARD_DATA_DIR || 'data'),
    ...(envApiToken ? { envApiToken } : {}),
  };
}

/** Parses YAML (JSON is YAML too), substitutes `${ENV}` references and validates. Errors name the setting. */
export function parseConfig(text: string, env: NodeJS.ProcessEnv, source = 'config'): Config {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${source}: not valid YAML: ${(err as Error).message}`);
  }
  const substituted = substituteEnv(doc, env, []);
  const result = configSchema.safeParse(substituted);
  // An unknown key stops the start: a misspelt `telefony:` would otherwise run without telephony.
  const unknown = unknownKeys(configSchema, substituted);
  const issues = [
    ...unknown,
    ...(result.success ? [] : result.error.issues.filter((i) => i.code !== 'unrecognized_keys')),
  ];
  if (!result.success || unknown.length > 0) {
    const lines = issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`${source}: invalid configuration\n${lines.join('\n')}`);
  }
  return result.data;
}

function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, at: (string | number)[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_, name: string) => {
      const v = env[name];
      if (v === undefined) throw new ConfigError(`${at.join('.')}: environment variable ${name} is not set`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, [...at, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, [...at, k])]));
  }
  return value;
}
