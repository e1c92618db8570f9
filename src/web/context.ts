import type { Context } from 'hono';
import type { AppDeps } from '../http/app-types.js';
import type { LoginThrottle } from './services/throttle.js';
import type { WebUser } from './services/users.js';

/** What every page handler gets: the app's dependencies plus the web app's own. */
export interface WebDeps extends AppDeps {
  throttle: LoginThrottle;
  /** Changes with the assets' contents: a new version never meets a stale cached script. */
  assetVersion: string;
  /** How often an open page's live stream checks for news (ms). */
  livePollMs: number;
}

export type WebEnv = {
  Variables: { user: WebUser; csrf: string; sessionToken: string };
};

export type WebContext = Context<WebEnv>;
