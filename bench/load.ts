import http from 'node:http';
import type { CpuPerEvent } from './cpu.js';
import { type LatencySummary, round, Samples } from './stats.js';
import type { BenchEvent, EventKind } from './workload.js';

/** A keep-alive HTTP client for the benchmark daemon; it reads only the status and the decision kind. */
/** A keep-alive client; with several ports (several daemons) requests go to them in turn. */
export function createClient(opts: { ports: readonly number[]; token?: string; maxSockets: number }) {
  let turn = 0;
  // Idle sockets are dropped before the server's 5 s keep-alive timeout would close them under a request.
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets, timeout: 4_000 });
  // Without a token, no Authorization header (a provider's webhook, which authenticates by its body).
  const auth = opts.token === undefined ? undefined : `Bearer ${opts.token}`;

  function request(
    method: string,
    path: string,
    body?: string,
    contentType = 'application/json',
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = auth ? { authorization: auth } : {};
      if (body !== undefined) {
        headers['content-type'] = contentType;
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = http.request(
        { host: '127.0.0.1', port: opts.ports[turn++ % opts.ports.length], method, path, agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  return {
    request,
    /** POSTs one event; returns the HTTP status and the decision kind (or the 202 status). */
    async send(event: BenchEvent): Promise<Outcome> {
      const res = await request('POST', '/api/v1/inbound', event.body);
      const m = /"(?:kind|status)":"([a-z_]+)"/.exec(res.text);
      return {
        status: res.status,
        decision: m?.[1] ?? `http_${res.status}`,
        ...(res.status === 200 ? {} : { body: res.text }),
      };
    },
    close: () => agent.destroy(),
  };
}

export type Client = ReturnType<typeof createClient>;

/** One answer: the HTTP status, the decision kind, and the body of anything but a 200 (our error text). */
export interface Outcome {
  status: number;
  decision: string;
  body?: string;
}

const ERROR_SAMPLES = 5;

export interface StepResult {
  mode: 'open' | 'closed';
  /** Target events/s (open loop) or requests in flight (closed loop). */
  load: number;
  seconds: number;
  sent: number;
  completed: number;
  eventsPerSecond: number;
  /** Non-200 answers and transport errors among the measured events. */
  errors: number;
  /** The first few of them, as answered (the daemon's error text carries no personal data). */
  errorSamples: string[];
  /** Open loop: events not sent because `maxInFlight` was reached (the daemon fell behind). */
  shed: number;
  latency: LatencySummary;
  /**
   * Open loop: how late the generator sent each measured event after it was due (its timer's granularity, its
   * own event loop, its share of the cores). Part of `latency`, which counts from the due time.
   */
  sendDelay?: LatencySummary;
  byKind: Record<EventKind, LatencySummary>;
  decisions: Record<string, number>;
  /** CPU ms per measured event, by process (see cpu.ts). */
  cpu?: CpuPerEvent;
}

class Recorder {
  readonly all = new Samples();
  readonly sendDelay = new Samples();
  readonly byKind = { known: new Samples(), unknown: new Samples(), duplicate: new Samples() };
  readonly decisions: Record<string, number> = {};
  readonly errorSamples: string[] = [];
  completed = 0;
  errors = 0;

  record(kind: EventKind, ms: number, outcome: Outcome | Error): void {
    this.completed += 1;
    this.all.add(ms);
    this.byKind[kind].add(ms);
    const decision = outcome instanceof Error ? 'transport_error' : outcome.decision;
    this.decisions[decision] = (this.decisions[decision] ?? 0) + 1;
    if (outcome instanceof Error || outcome.status !== 200) {
      this.errors += 1;
      if (this.errorSamples.length < ERROR_SAMPLES)
        this.errorSamples.push(
          outcome instanceof Error ? `transport: ${outcome.message}` : `${outcome.status} ${outcome.body}`,
        );
    }
  }

  result(mode: StepResult['mode'], load: number, seconds: number, sent: number, shed: number): StepResult {
    return {
      mode,
      load,
      seconds: round(seconds, 1),
      sent,
      completed: this.completed,
      eventsPerSecond: Math.round(this.completed / seconds),
      errors: this.errors,
      errorSamples: this.errorSamples,
      shed,
      latency: this.all.summary(),
      ...(mode === 'open' ? { sendDelay: this.sendDelay.summary() } : {}),
      byKind: {
        known: this.byKind.known.summary(),
        unknown: this.byKind.unknown.summary(),
        duplicate: this.byKind.duplicate.summary(),
      },
      decisions: this.decisions,
    };
  }
}

async function timed(client: Client, event: BenchEvent): Promise<Outcome | Error> {
  try {
    return await client.send(event);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/**
 * Open loop: events are due at a fixed rate whatever the daemon does, and latency is measured from when an
 * event was due (not when it was sent), so a stall shows up in the percentiles instead of hiding as a
 * slower send rate (no coordinated omission). Events due in the warm-up are sent but not recorded.
 */
export async function openLoop(
  client: Client,
  next: () => BenchEvent,
  opts: { rate: number; warmupMs: number; durationMs: number; maxInFlight: number },
): Promise<StepResult> {
  const rec = new Recorder();
  const start = performance.now();
  const total = Math.floor(((opts.warmupMs + opts.durationMs) / 1000) * opts.rate);
  const measuredFrom = Math.floor((opts.warmupMs / 1000) * opts.rate);
  const pending = new Set<Promise<void>>();
  let sent = 0;
  let shed = 0;
  for (let k = 0; k < total; ) {
    const now = performance.now();
    for (; k < total && start + (k * 1000) / opts.rate <= now; k++) {
      const due = start + (k * 1000) / opts.rate;
      const measured = k >= measuredFrom;
      if (pending.size >= opts.maxInFlight) {
        if (measured) shed += 1;
        continue;
      }
      const event = next();
      if (measured) {
        sent += 1;
        rec.sendDelay.add(performance.now() - due);
      }
      const p = timed(client, event).then((outcome) => {
        pending.delete(p);
        if (measured) rec.record(event.kind, performance.now() - due, outcome);
      });
      pending.add(p);
    }
    if (k < total) {
      // Sleeps until the next event is due, never spins: on this machine the load generator shares the cores
      // with the daemon and PostgreSQL, and a wait of a millisecond or less spun on setImmediate used to burn
      // most of a core at 1,000 events/s (0.75 ms of the generator's CPU per event). A timer fires up to ~1 ms
      // late; the event is then sent late, and that counts in its latency (measured from when it was due).
      const wait = start + (k * 1000) / opts.rate - performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    }
  }
  const issuedFor = (performance.now() - start - opts.warmupMs) / 1000;
  await Promise.all(pending);
  return rec.result('open', opts.rate, Math.max(issuedFor, opts.durationMs / 1000), sent, shed);
}

/** Closed loop: `concurrency` senders, each sending its next event as soon as the previous is decided. */
export async function closedLoop(
  client: Client,
  next: () => BenchEvent,
  opts: { concurrency: number; warmupMs: number; durationMs: number },
): Promise<StepResult> {
  const rec = new Recorder();
  const start = performance.now();
  const measureFrom = start + opts.warmupMs;
  const end = measureFrom + opts.durationMs;
  let sent = 0;
  const worker = async () => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      const event = next();
      const outcome = await timed(client, event);
      const t1 = performance.now();
      if (t0 >= measureFrom && t1 <= end) {
        sent += 1;
        rec.record(event.kind, t1 - t0, outcome);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return rec.result('closed', opts.concurrency, opts.durationMs / 1000, sent, 0);
}
