import type { ChannelKind } from '../core/communication.js';
import { formatAgeRu } from '../core/duration.js';

/** What an alert says about a lead (read when it is sent, so the assignee is current). */
export interface AlertFacts {
  leadId: string;
  channel: string;
  firstContactAt: Date;
  teamName: string | null;
  responsibleName: string | null;
  clientName: string | null;
  /** E.164 phone of the client, if known. */
  phone: string | null;
  email: string | null;
}

export interface AlertText {
  subject: string;
  text: string;
  url: string;
}

const CHANNEL_NAMES: Record<ChannelKind, string> = {
  email: 'Почта',
  phone: 'Телефон',
  whatsapp: 'WhatsApp',
  vk: 'ВКонтакте',
  avito: 'Авито',
  viber: 'Viber',
  telegram: 'Telegram',
  max: 'MAX',
  webform: 'Сайт',
  api: 'API',
};

/** `+7 912 ***-**-89`: enough for the supervisor to recognise the client, not a number to copy into logs. */
export function maskPhone(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  if (e164.startsWith('+7') && digits.length === 11)
    return `+7 ${digits.slice(1, 4)} ***-**-${digits.slice(9)}`;
  if (digits.length < 6) return '***';
  return `+${digits.slice(0, 4)}***${digits.slice(-2)}`;
}

/** `i***@example.ru` */
export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

export function leadUrl(publicUrl: string, leadId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/leads/${leadId}`;
}

/**
 * The Russian alert: «⏰ Лид не взят в работу 2 ч 05 мин: Иван Петров, +7 912 ***-**-89, канал: Сайт,
 * ответственный: Мария Петрова. Открыть: <url>». The age is wall time since the client's first contact.
 */
export function renderAlert(facts: AlertFacts, now: Date, publicUrl: string): AlertText {
  const age = formatAgeRu(now.getTime() - facts.firstContactAt.getTime());
  const client = [
    facts.clientName?.trim() || 'клиент без имени',
    facts.phone ? maskPhone(facts.phone) : facts.email ? maskEmail(facts.email) : undefined,
  ].filter(Boolean);
  const channel = CHANNEL_NAMES[facts.channel as ChannelKind] ?? facts.channel;
  const url = leadUrl(publicUrl, facts.leadId);
  const parts = [
    ...client,
    `канал: ${channel}`,
    ...(facts.teamName ? [`отдел: ${facts.teamName}`] : []),
    `ответственный: ${facts.responsibleName ?? 'не назначен'}`,
  ];
  return {
    subject: `Лид не взят в работу ${age}: ${client[0]}`,
    text: `⏰ Лид не взят в работу ${age}: ${parts.join(', ')}. Открыть: ${url}`,
    url,
  };
}
