import { describe, expect, it } from 'vitest';
import { parseWebhookFields } from '../channels/webhook/fields.js';
import { secretEquals } from '../channels/webhook/verify.js';
import type { CallCommunication } from '../core/communication.js';
import { telephonySchema } from './config.js';
import { callEventToLegEvent, summaryToCommunication } from './mango/normalize.js';
import { callEventSchema, summarySchema } from './mango/schema.js';
import { mangoSign, verifyMango } from './mango/sign.js';
import { createMegafonClient } from './megafon/commands.js';
import { eventToLegEvent, historyToCommunication } from './megafon/normalize.js';
import { eventSchema, historySchema } from './megafon/schema.js';
import { callStateOf, isHiddenNumber, parseAgent, readPbxTime } from './model.js';
import { hostAllowed, isInternalAddress } from './recording-http.js';

describe('parseAgent: who on our side a PBX user is', () => {
  it.each([
    ['ivanov@acme.megapbx.ru', { kind: 'user', login: 'ivanov' }],
    ['ivanov', { kind: 'user', login: 'ivanov' }],
    ['pbx', { kind: 'system', login: 'pbx' }],
    ['g_5d1c9e2a-7b44@acme.megapbx.ru', { kind: 'system', login: 'g_5d1c9e2a-7b44' }],
    ['79223374067@crm.megapbx.ru', { kind: 'system', login: '79223374067' }],
    ['', undefined],
    [undefined, undefined],
  ])('%s', (user, expected) => {
    expect(parseAgent(user)).toEqual(expected);
  });
});

describe('isHiddenNumber: a client number that is no number', () => {
  it.each([
    ['', true],
    [undefined, true],
    ['anonymous', true],
    ['Anonymous', true],
    ['unknown', true],
    ['private', true],
    ['Restricted', true],
    ['+', true],
    ['sip:anonymous@anonymous.invalid', true],
    ['79161234567', false],
    ['sip:79265550011@acme.mangosip.ru', false],
    ['8 (916) 123-45-67', false],
  ])('%s -> %s', (value, hidden) => {
    expect(isHiddenNumber(value)).toBe(hidden);
  });
});

describe('readPbxTime: every timestamp form a PBX sends', () => {
  it.each([
    ['20240315T091502Z', '2024-03-15T09:15:02.000Z'],
    ['2026-11-30T11:00:00Z', '2026-11-30T11:00:00.000Z'],
    ['2017-07-07T16:14:08+03:00', '2017-07-07T13:14:08.000Z'],
    ['2024-03-15 09:15:02', '2024-03-15T09:15:02.000Z'],
    ['1710493502', '2024-03-15T09:05:02.000Z'],
    [1710493502, '2024-03-15T09:05:02.000Z'],
    ['1710493502000', '2024-03-15T09:05:02.000Z'],
    ['2024-13-45T99:00:00Z', undefined],
    ['yesterday', undefined],
    ['', undefined],
  ])('%s', (value, iso) => {
    expect(readPbxTime(value)?.at.toISOString()).toBe(iso);
  });
});

describe('recording link guards', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.31.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['::ffff:127.0.0.1', true],
    ['193.201.230.155', false],
    ['2a00:1450:4010::1', false],
  ])('internal %s -> %s', (address, internal) => {
    expect(isInternalAddress(address)).toBe(internal);
  });
  it('matches hosts exactly or by *.domain', () => {
    expect(hostAllowed('acme.megapbx.ru', ['acme.megapbx.ru'])).toBe(true);
    expect(hostAllowed('ACME.megapbx.ru.', ['acme.megapbx.ru'])).toBe(true);
    expect(hostAllowed('evil-acme.megapbx.ru', ['acme.megapbx.ru'])).toBe(false);
    expect(hostAllowed('rec.mango-office.ru', ['*.mango-office.ru'])).toBe(true);
    expect(hostAllowed('mango-office.ru.evil.com', ['*.mango-office.ru'])).toBe(false);
    expect(hostAllowed('evilmango-office.ru', ['*.mango-office.ru'])).toBe(false);
    expect(hostAllowed('anything', [])).toBe(false);
  });
});

describe('callStateOf: a call from its legs', () => {
  it.each([
    [['ringing', 'ringing'], 'ringing'],
    [['answered', 'missed'], 'answered'],
    [['ended', 'missed'], 'ended'],
    [['missed', 'missed'], 'missed'],
    [['ended', 'answered'], 'answered'],
    [[], 'ringing'],
  ] as const)('%j -> %s', (legs, state) => {
    expect(callStateOf(legs)).toBe(state);
  });
});

describe('parseWebhookFields', () => {
  it('reads form and JSON whatever the Content-Type says', () => {
    expect(parseWebhookFields('cmd=contact&phone=7916', 'application/json')).toEqual({
      cmd: 'contact',
      phone: '7916',
    });
    expect(
      parseWebhookFields('{"cmd":"history","duration":185}', 'application/x-www-form-urlencoded'),
    ).toEqual({
      cmd: 'history',
      duration: '185',
    });
    expect(parseWebhookFields('', undefined)).toBeUndefined();
    expect(parseWebhookFields('[1,2]', 'application/json')).toBeUndefined();
    expect(parseWebhookFields('just text', undefined)).toBeUndefined();
  });
  it('compares secrets of any length', () => {
    expect(secretEquals('abc', 'abc')).toBe(true);
    expect(secretEquals('abc', 'abcd')).toBe(false);
    expect(secretEquals(undefined, 'abc')).toBe(false);
  });
});

const history = (over: Record<string, string>) =>
  historySchema.parse({
    cmd: 'history',
    type: 'in',
    status: 'Success',
    phone: '79161234567',
    start: '20240315T091502Z',
    duration: '100',
    callid: 'c1',
    ...over,
  });

describe('MegaFon history -> CallCommunication', () => {
  it.each([
    [
      'answered with wait',
      { wait: '10', user: 'ivanov@x' },
      { state: 'answered', agent: 'ivanov', waitSeconds: 10, talkSeconds: 90 },
    ],
    ['answered by a group', { user: 'g_1@x' }, { state: 'answered', talkSeconds: 100 }],
    [
      'missed (lower case)',
      { status: 'missed', user: 'pbx' },
      { state: 'missed', waitSeconds: 100, talkSeconds: 0 },
    ],
    [
      'Missed / Cancel',
      { status: 'Cancel', user: 'ivanov' },
      { state: 'missed', waitSeconds: 100, talkSeconds: 0 },
    ],
    [
      'outgoing not reached',
      { type: 'OUT', status: 'Busy', user: 'ivanov' },
      { state: 'missed', agent: 'ivanov' },
    ],
  ])('%s', (_name, over, call) => {
    const comm = historyToCommunication('main', history(over))!;
    expect(comm.call).toEqual(expect.objectContaining(call));
    if (!('agent' in call)) expect(comm.call.agent).toBeUndefined();
    expect(comm).toMatchObject({ channel: 'phone', account: 'main', externalId: 'c1' });
    expect(comm.occurredAt.toISOString()).toBe('2024-03-15T09:15:02.000Z');
  });
  const received = new Date('2026-11-30T11:00:07Z');
  it.each([
    ['ISO start', { start: '2026-11-30T11:00:00Z' }, '2026-11-30T11:00:00.000Z', {}, undefined],
    ['ISO with offset', { start: '2026-11-30T14:00:00+03:00' }, '2026-11-30T11:00:00.000Z', {}, undefined],
    [
      'no zone',
      { start: '2026-11-30 11:00:00' },
      '2026-11-30T11:00:00.000Z',
      {},
      [{ field: 'start', issue: 'no time zone; read as UTC' }],
    ],
    [
      'junk start',
      { start: 'yesterday' },
      '2026-11-30T11:00:07.000Z',
      {},
      [{ field: 'start', issue: 'not a time; the receive time was used' }],
    ],
    ['relative link', { link: '/sys/rec.mp3' }, undefined, { recordingUrl: '/sys/rec.mp3' }, undefined],
    [
      'javascript: link',
      { link: 'javascript:alert(1)' },
      undefined,
      {},
      [{ field: 'link', issue: 'a javascript: link, not http(s); no recording is copied' }],
    ],
    ['empty phone', { phone: '' }, undefined, { numberHidden: true }, undefined],
    ['anonymous', { phone: 'anonymous' }, undefined, { numberHidden: true }, undefined],
    [
      'junk type and duration',
      { type: 'sideways', duration: 'abc' },
      undefined,
      { talkSeconds: 0 },
      [
        { field: 'type', issue: 'not in/out; taken as in' },
        { field: 'duration', issue: 'not whole seconds; ignored' },
      ],
    ],
  ] as const)('reads leniently: %s', (_name, over, at, call, issues) => {
    const comm = historyToCommunication('main', history(over), received)!;
    if (at) expect(comm.occurredAt.toISOString()).toBe(at);
    expect(comm.call).toMatchObject(call);
    expect(comm.call.parseIssues).toEqual(issues);
    if ('numberHidden' in call) expect(comm.party.identities).toEqual([]);
    if (!('recordingUrl' in call)) expect(comm.call.recordingUrl).toBeUndefined();
  });
  it('needs only the callid; without a receive time an unreadable start cannot be placed', () => {
    expect(historySchema.safeParse({ cmd: 'history', callid: ' ' }).success).toBe(false);
    expect(historySchema.safeParse({ cmd: 'history', callid: 'c' }).success).toBe(true);
    expect(historyToCommunication('main', history({ start: 'junk' }))).toBeUndefined();
  });
  it('maps event types to leg states', () => {
    const ev = (type: string) =>
      eventToLegEvent(
        'main',
        eventSchema.parse({ cmd: 'event', type, callid: 'c', user: 'ivanov@x', ext: '701' }),
      );
    expect(ev('INCOMING')).toMatchObject({ state: 'ringing', direction: 'in', legKey: 'ivanov' });
    expect(ev('OUTGOING')).toMatchObject({ state: 'ringing', direction: 'out' });
    expect(ev('ACCEPTED')?.state).toBe('answered');
    expect(ev('CANCELLED')?.state).toBe('missed');
    expect(ev('COMPLETED')?.state).toBe('ended');
    expect(ev('TRANSFERRED')?.state).toBe('ended');
    expect(ev('SOMETHING_NEW')).toBeUndefined();
  });
});

describe('Mango', () => {
  it('signs sha256(key + json + salt) and verifies only the exact json', () => {
    const json = '{"entry_id":"e1", "x":"Звонок"}';
    const sign = mangoSign('k', json, 's');
    expect(sign).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyMango({ vpbx_api_key: 'k', sign, json }, { apiKey: 'k', apiSalt: 's' })).toBe(true);
    expect(
      verifyMango(
        { vpbx_api_key: 'k', sign, json: JSON.stringify(JSON.parse(json)) },
        { apiKey: 'k', apiSalt: 's' },
      ),
    ).toBe(false);
    expect(verifyMango({ vpbx_api_key: 'other', sign, json }, { apiKey: 'k', apiSalt: 's' })).toBe(false);
  });
  it('summary: durations from timestamps, internal calls are not communications', () => {
    const s = summarySchema.parse({
      entry_id: 'e',
      call_direction: 1,
      from: { number: '7800123635242' },
      to: { extension: '123', number: '7800123456789' },
      line_number: '7800123456789',
      create_time: 1399906976,
      forward_time: 1399906978,
      talk_time: 1399906980,
      end_time: 1399906990,
      entry_result: 1,
      disconnect_reason: 1100,
    });
    expect((summaryToCommunication('m', s) as CallCommunication).call).toEqual({
      state: 'answered',
      dialled: '7800123456789',
      agent: '123',
      waitSeconds: 4,
      talkSeconds: 10,
    });
    expect(summaryToCommunication('m', { ...s, call_direction: 0 })).toBe('internal');
  });
  it('summary: a hidden caller, times as strings or ISO, junk noted', () => {
    const s = summarySchema.parse({
      entry_id: 'e',
      call_direction: '1',
      from: { number: 'sip:anonymous@anonymous.invalid' },
      to: { extension: '101' },
      create_time: '2024-03-15T09:05:02Z',
      talk_time: '0',
      end_time: 'soon',
      entry_result: 0,
    });
    const comm = summaryToCommunication('m', s) as CallCommunication;
    expect(comm.party.identities).toEqual([]);
    expect(comm.call).toMatchObject({ state: 'missed', numberHidden: true, waitSeconds: 0, talkSeconds: 0 });
    expect(comm.occurredAt.toISOString()).toBe('2024-03-15T09:05:02.000Z');
    expect(comm.call.parseIssues).toEqual([{ field: 'end_time', issue: 'not a time; ignored' }]);
  });
  it('call events: direction from who is the employee, seq kept', () => {
    const e = callEventSchema.parse({
      entry_id: 'e',
      call_id: 'l',
      timestamp: '1710493502',
      seq: '7',
      call_state: 'Connected',
      from: { extension: '101' },
      to: { number: '79161234567' },
    });
    expect(callEventToLegEvent('m', e)).toMatchObject({
      direction: 'out',
      clientNumber: '79161234567',
      agent: { kind: 'user', login: '101' },
      seq: 7,
      state: 'answered',
    });
  });
});

describe('MegaFon recording links', () => {
  it('sends X-API-KEY only to the tenant itself', () => {
    const client = createMegafonClient(
      {
        account: 'a',
        crmToken: 'x'.repeat(8),
        baseUrl: 'https://acme.megapbx.ru',
        apiKey: 'k',
        commandApi: 'auto',
      },
      { timeoutMs: 1000 },
    );
    expect(client.recordingHeaders('https://acme.megapbx.ru/rec/1.mp3')).toEqual({ 'X-API-KEY': 'k' });
    expect(client.recordingHeaders('https://records.example.com/1.mp3')).toEqual({});
    expect(client.recordingHeaders('not a url')).toEqual({});
  });
});

describe('telephony config', () => {
  it('defaults to an 800 ms contact budget and no accounts', () => {
    expect(telephonySchema.parse({})).toMatchObject({ contactBudgetMs: 800, megafon: [], mango: [] });
  });
  it('names the bad setting', () => {
    const r = telephonySchema.safeParse({
      megafon: [
        { account: 'main', crmToken: 'long-enough-1' },
        { account: 'main', crmToken: 'short' },
      ],
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'megafon.1.account',
      'megafon.1.crmToken',
    ]);
  });
});
