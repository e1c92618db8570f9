import { describe, expect, it } from 'vitest';
import type { RawIdentity } from '../core/communication.js';
import { normalizeEmail } from './email.js';
import { createIdentityPolicy, normalizeIdentity } from './identity.js';
import { normalizePhone } from './phone.js';

describe('normalizePhone', () => {
  it.each([
    ['8 (912) 345-67-89', '+79123456789', undefined],
    ['+7 912 345 67 89', '+79123456789', undefined],
    ['89123456789', '+79123456789', undefined],
    ['79123456789', '+79123456789', undefined],
    ['9123456789', '+79123456789', undefined],
    ['+7(912)345-67-89 доб. 12', '+79123456789', '12'],
    ['8-912-345-67-89', '+79123456789', undefined],
    ['  +7 912 345-67-89  ', '+79123456789', undefined],
    ['+7 (495) 123-45-67 доб 123', '+74951234567', '123'],
    ['8 800 555 35 35', '+78005553535', undefined],
    ['sip:79123456789@pbx.example.ru', '+79123456789', undefined],
    ['<sip:+79123456789@10.0.0.1>;tag=abc', '+79123456789', undefined],
    ['+49 30 1234567', '+49301234567', undefined],
    ['+375 29 123-45-67', '+375291234567', undefined],
    ['+7 701 123 45 67', '+77011234567', undefined],
  ])('%s -> %s (ext %s)', (input, e164, ext) => {
    const r = normalizePhone(input);
    expect(r).toMatchObject({ ok: true, e164 });
    expect(r.ok ? r.extension : 'rejected').toBe(ext);
  });

  it('keeps the country of foreign and Kazakh numbers', () => {
    expect(normalizePhone('+49 30 1234567')).toMatchObject({ country: 'DE' });
    expect(normalizePhone('+7 701 123 45 67')).toMatchObject({ country: 'KZ' });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['12345', 'invalid'],
    ['00000000000', 'placeholder'],
    ['+7 000 000 00 00', 'invalid'],
    ['1111111111', 'placeholder'],
    ['не помню', 'unparseable'],
    ['sip:101@pbx.example.ru', 'invalid'],
  ])('rejects %j as %s', (input, reason) => {
    expect(normalizePhone(input)).toEqual({ ok: false, reason });
  });
});

describe('normalizeEmail', () => {
  it.each([
    ['Ivan@Example.ru', 'ivan@example.ru'],
    ['  IVAN.PETROV@MAIL.RU ', 'ivan.petrov@mail.ru'],
    ['mailto:sales@firm.ru', 'sales@firm.ru'],
    ['Иван Петров <Ivan@Example.RU>', 'ivan@example.ru'],
    ['user+tag@yandex.ru', 'user+tag@yandex.ru'],
  ])('%s -> %s', (input, email) => {
    expect(normalizeEmail(input)).toMatchObject({ ok: true, email });
  });

  it.each(['', 'ivan', 'ivan@', '@example.ru', 'ivan@example', 'iv an@example.ru'])('rejects %j', (input) => {
    expect(normalizeEmail(input).ok).toBe(false);
  });
});

describe('normalizeIdentity under the company policy', () => {
  const policy = createIdentityPolicy({
    ownPhones: ['8 (800) 555-35-35', '+7 495 123-45-67'],
    ownEmails: ['Sales@Mebel-Fabrika.ru'],
    ownDomains: ['mebel-fabrika.ru'],
  });

  it.each<[RawIdentity, string]>([
    [{ kind: 'phone', value: '88005553535' }, 'own_number'],
    [{ kind: 'phone', value: '+7 (495) 123 45 67' }, 'own_number'],
    [{ kind: 'email', value: 'sales@mebel-fabrika.ru' }, 'own_address'],
    [{ kind: 'email', value: 'ivanov@mebel-fabrika.ru' }, 'own_domain'],
    [{ kind: 'email', value: 'ivanov@spb.mebel-fabrika.ru' }, 'own_domain'],
    [{ kind: 'email', value: 'noreply@avito.ru' }, 'robot_address'],
    [{ kind: 'email', value: 'no-reply@mail.example.com' }, 'robot_address'],
    [{ kind: 'email', value: 'MAILER-DAEMON@mx.yandex.ru' }, 'robot_address'],
    [{ kind: 'email', value: 'postmaster@mail.ru' }, 'robot_address'],
    [{ kind: 'vk', account: 'club1', value: '  ' }, 'empty'],
    [{ kind: 'viber', account: '', value: 'abc' }, 'empty'],
  ])('%j is rejected as %s', (raw, reason) => {
    expect(normalizeIdentity(raw, policy)).toMatchObject({ ok: false, reason });
  });

  it.each<[RawIdentity, string, string]>([
    [{ kind: 'phone', value: '8 (912) 345-67-89' }, 'phone', '+79123456789'],
    [{ kind: 'email', value: ' Ivan@Example.ru ' }, 'email', 'ivan@example.ru'],
    [{ kind: 'vk', account: 'club123', value: '45678' }, 'vk', 'club123:45678'],
    [{ kind: 'viber', account: 'bot', value: '01234567890A=' }, 'viber', 'bot:01234567890A='],
    [{ kind: 'whatsapp', account: '79001112233', value: '1203@lid' }, 'whatsapp', '79001112233:1203@lid'],
    [{ kind: 'telegram', account: 'bot1', value: '777' }, 'telegram', 'bot1:777'],
    [{ kind: 'avito', account: '100', value: '200' }, 'avito', '100:200'],
  ])('%j -> %s %s', (raw, kind, value) => {
    expect(normalizeIdentity(raw, policy)).toMatchObject({ ok: true, identity: { kind, value } });
  });

  it('scopes the same messenger id by account', () => {
    const a = normalizeIdentity({ kind: 'viber', account: 'bot-a', value: 'X' }, policy);
    const b = normalizeIdentity({ kind: 'viber', account: 'bot-b', value: 'X' }, policy);
    expect(a.ok && b.ok && a.identity.value !== b.identity.value).toBe(true);
  });
});
