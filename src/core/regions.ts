/**
 * The 89 federal subjects of Russia with ISO 3166-2 code, federal district and IANA time zone, plus the
 * macro-territories that the numbering registry cannot split.
 *
 * Codes: ISO 3166-2 has no RU-* codes for Crimea, Sevastopol and the four subjects added in 2022, so their
 * ISO codes are used as published (UA-43, UA-40, UA-14, UA-09, UA-23, UA-65), as hflabs/region does for Crimea.
 * The 2022 subjects are placed in the Southern federal district on Moscow time.
 */

/** Federal district id; stable, used in configs and logs. */
export type FederalDistrictCode =
  | 'central'
  | 'northwestern'
  | 'southern'
  | 'north_caucasian'
  | 'volga'
  | 'ural'
  | 'siberian'
  | 'far_eastern';

/** Russian names of the federal districts. */
export const FEDERAL_DISTRICTS: Readonly<Record<FederalDistrictCode, string>> = Object.freeze({
  central: 'Центральный федеральный округ',
  northwestern: 'Северо-Западный федеральный округ',
  southern: 'Южный федеральный округ',
  north_caucasian: 'Северо-Кавказский федеральный округ',
  volga: 'Приволжский федеральный округ',
  ural: 'Уральский федеральный округ',
  siberian: 'Сибирский федеральный округ',
  far_eastern: 'Дальневосточный федеральный округ',
});

type SubjectRow = readonly [code: string, name: string, district: FederalDistrictCode, timeZone: string];

const SUBJECTS = [
  ['RU-AD', 'Республика Адыгея', 'southern', 'Europe/Moscow'],
  ['RU-BA', 'Республика Башкортостан', 'volga', 'Asia/Yekaterinburg'],
  ['RU-BU', 'Республика Бурятия', 'far_eastern', 'Asia/Irkutsk'],
  ['RU-AL', 'Республика Алтай', 'siberian', 'Asia/Barnaul'],
  ['RU-DA', 'Республика Дагестан', 'north_caucasian', 'Europe/Moscow'],
  ['RU-IN', 'Республика Ингушетия', 'north_caucasian', 'Europe/Moscow'],
  ['RU-KB', 'Кабардино-Балкарская Республика', 'north_caucasian', 'Europe/Moscow'],
  ['RU-KL', 'Республика Калмыкия', 'southern', 'Europe/Moscow'],
  ['RU-KC', 'Карачаево-Черкесская Республика', 'north_caucasian', 'Europe/Moscow'],
  ['RU-KR', 'Республика Карелия', 'northwestern', 'Europe/Moscow'],
  ['RU-KO', 'Республика Коми', 'northwestern', 'Europe/Moscow'],
  ['RU-ME', 'Республика Марий Эл', 'volga', 'Europe/Moscow'],
  ['RU-MO', 'Республика Мордовия', 'volga', 'Europe/Moscow'],
  ['RU-SA', 'Республика Саха (Якутия)', 'far_eastern', 'Asia/Yakutsk'],
  ['RU-SE', 'Республика Северная Осетия - Алания', 'north_caucasian', 'Europe/Moscow'],
  ['RU-TA', 'Республика Татарстан', 'volga', 'Europe/Moscow'],
  ['RU-TY', 'Республика Тыва', 'siberian', 'Asia/Krasnoyarsk'],
  ['RU-UD', 'Удмуртская Республика', 'volga', 'Europe/Samara'],
  ['RU-KK', 'Республика Хакасия', 'siberian', 'Asia/Krasnoyarsk'],
  ['RU-CE', 'Чеченская Республика', 'north_caucasian', 'Europe/Moscow'],
  ['RU-CU', 'Чувашская Республика - Чувашия', 'volga', 'Europe/Moscow'],
  ['UA-43', 'Республика Крым', 'southern', 'Europe/Simferopol'],
  ['UA-14', 'Донецкая Народная Республика', 'southern', 'Europe/Moscow'],
  ['UA-09', 'Луганская Народная Республика', 'southern', 'Europe/Moscow'],
  ['RU-ALT', 'Алтайский край', 'siberian', 'Asia/Barnaul'],
  ['RU-ZAB', 'Забайкальский край', 'far_eastern', 'Asia/Chita'],
  ['RU-KAM', 'Камчатский край', 'far_eastern', 'Asia/Kamchatka'],
  ['RU-KDA', 'Краснодарский край', 'southern', 'Europe/Moscow'],
  ['RU-KYA', 'Красноярский край', 'siberian', 'Asia/Krasnoyarsk'],
  ['RU-PER', 'Пермский край', 'volga', 'Asia/Yekaterinburg'],
  ['RU-PRI', 'Приморский край', 'far_eastern', 'Asia/Vladivostok'],
  ['RU-STA', 'Ставропольский край', 'north_caucasian', 'Europe/Moscow'],
  ['RU-KHA', 'Хабаровский край', 'far_eastern', 'Asia/Vladivostok'],
  ['RU-AMU', 'Амурская область', 'far_eastern', 'Asia/Yakutsk'],
  ['RU-ARK', 'Архангельская область', 'northwestern', 'Europe/Moscow'],
  ['RU-AST', 'Астраханская область', 'southern', 'Europe/Astrakhan'],
  ['RU-BEL', 'Белгородская область', 'central', 'Europe/Moscow'],
  ['RU-BRY', 'Брянская область', 'central', 'Europe/Moscow'],
  ['RU-VLA', 'Владимирская область', 'central', 'Europe/Moscow'],
  ['RU-VGG', 'Волгоградская область', 'southern', 'Europe/Volgograd'],
  ['RU-VLG', 'Вологодская область', 'northwestern', 'Europe/Moscow'],
  ['RU-VOR', 'Воронежская область', 'central', 'Europe/Moscow'],
  ['UA-23', 'Запорожская область', 'southern', 'Europe/Moscow'],
  ['RU-IVA', 'Ивановская область', 'central', 'Europe/Moscow'],
  ['RU-IRK', 'Иркутская область', 'siberian', 'Asia/Irkutsk'],
  ['RU-KGD', 'Калининградская область', 'northwestern', 'Europe/Kaliningrad'],
  ['RU-KLU', 'Калужская область', 'central', 'Europe/Moscow'],
  ['RU-KEM', 'Кемеровская область - Кузбасс', 'siberian', 'Asia/Novokuznetsk'],
  ['RU-KIR', 'Кировская область', 'volga', 'Europe/Kirov'],
  ['RU-KOS', 'Костромская область', 'central', 'Europe/Moscow'],
  ['RU-KGN', 'Курганская область', 'ural', 'Asia/Yekaterinburg'],
  ['RU-KRS', 'Курская область', 'central', 'Europe/Moscow'],
  ['RU-LEN', 'Ленинградская область', 'northwestern', 'Europe/Moscow'],
  ['RU-LIP', 'Липецкая область', 'central', 'Europe/Moscow'],
  ['RU-MAG', 'Магаданская область', 'far_eastern', 'Asia/Magadan'],
  ['RU-MOS', 'Московская область', 'central', 'Europe/Moscow'],
  ['RU-MUR', 'Мурманская область', 'northwestern', 'Europe/Moscow'],
  ['RU-NIZ', 'Нижегородская область', 'volga', 'Europe/Moscow'],
  ['RU-NGR', 'Новгородская область', 'northwestern', 'Europe/Moscow'],
  ['RU-NVS', 'Новосибирская область', 'siberian', 'Asia/Novosibirsk'],
  ['RU-OMS', 'Омская область', 'siberian', 'Asia/Omsk'],
  ['RU-ORE', 'Оренбургская область', 'volga', 'Asia/Yekaterinburg'],
  ['RU-ORL', 'Орловская область', 'central', 'Europe/Moscow'],
  ['RU-PNZ', 'Пензенская область', 'volga', 'Europe/Moscow'],
  ['RU-PSK', 'Псковская область', 'northwestern', 'Europe/Moscow'],
  ['RU-ROS', 'Ростовская область', 'southern', 'Europe/Moscow'],
  ['RU-RYA', 'Рязанская область', 'central', 'Europe/Moscow'],
  ['RU-SAM', 'Самарская область', 'volga', 'Europe/Samara'],
  ['RU-SAR', 'Саратовская область', 'volga', 'Europe/Saratov'],
  ['RU-SAK', 'Сахалинская область', 'far_eastern', 'Asia/Sakhalin'],
  ['RU-SVE', 'Свердловская область', 'ural', 'Asia/Yekaterinburg'],
  ['RU-SMO', 'Смоленская область', 'central', 'Europe/Moscow'],
  ['RU-TAM', 'Тамбовская область', 'central', 'Europe/Moscow'],
  ['RU-TVE', 'Тверская область', 'central', 'Europe/Moscow'],
  ['RU-TOM', 'Томская область', 'siberian', 'Asia/Tomsk'],
  ['RU-TUL', 'Тульская область', 'central', 'Europe/Moscow'],
  ['RU-TYU', 'Тюменская область', 'ural', 'Asia/Yekaterinburg'],
  ['RU-ULY', 'Ульяновская область', 'volga', 'Europe/Ulyanovsk'],
  ['UA-65', 'Херсонская область', 'southern', 'Europe/Moscow'],
  ['RU-CHE', 'Челябинская область', 'ural', 'Asia/Yekaterinburg'],
  ['RU-YAR', 'Ярославская область', 'central', 'Europe/Moscow'],
  ['RU-MOW', 'Москва', 'central', 'Europe/Moscow'],
  ['RU-SPE', 'Санкт-Петербург', 'northwestern', 'Europe/Moscow'],
  ['UA-40', 'Севастополь', 'southern', 'Europe/Simferopol'],
  ['RU-YEV', 'Еврейская автономная область', 'far_eastern', 'Asia/Vladivostok'],
  ['RU-NEN', 'Ненецкий автономный округ', 'northwestern', 'Europe/Moscow'],
  ['RU-KHM', 'Ханты-Мансийский автономный округ - Югра', 'ural', 'Asia/Yekaterinburg'],
  ['RU-CHU', 'Чукотский автономный округ', 'far_eastern', 'Asia/Anadyr'],
  ['RU-YAN', 'Ямало-Ненецкий автономный округ', 'ural', 'Asia/Yekaterinburg'],
] as const satisfies readonly SubjectRow[];

/** Code of a federal subject (ISO 3166-2). */
export type RegionCode = (typeof SUBJECTS)[number][0];

/** A federal subject. For subjects spanning several zones, `timeZone` is the zone of the capital. */
export interface Region {
  readonly code: RegionCode;
  /** Russian name, as in ГАР (cities without the word "Город"). */
  readonly name: string;
  readonly federalDistrict: FederalDistrictCode;
  /** IANA zone name; never a fixed offset. */
  readonly timeZone: string;
}

/** All 89 federal subjects. */
export const REGIONS: readonly Region[] = Object.freeze(
  SUBJECTS.map(([code, name, federalDistrict, timeZone]) =>
    Object.freeze({ code, name, federalDistrict, timeZone }),
  ),
);

const MACROS = [
  ['RU-MOW+RU-MOS', 'Москва и Московская область', ['RU-MOW', 'RU-MOS']],
  ['RU-SPE+RU-LEN', 'Санкт-Петербург и Ленинградская область', ['RU-SPE', 'RU-LEN']],
  ['UA-43+UA-40', 'Республика Крым и Севастополь', ['UA-43', 'UA-40']],
  ['RU-ARK+RU-NEN', 'Архангельская область и Ненецкий автономный округ', ['RU-ARK', 'RU-NEN']],
] as const satisfies readonly (readonly [string, string, readonly RegionCode[]])[];

/**
 * Id of a macro-territory: its member codes joined with "+", the larger city or subject first. Self-describing
 * in configs and logs, and never collides with an ISO code.
 */
export type MacroTerritoryId = (typeof MACROS)[number][0];

/** Subjects that share numbering ranges in the registry and so cannot be told apart by phone number. */
export interface MacroTerritory {
  readonly id: MacroTerritoryId;
  readonly name: string;
  readonly members: readonly RegionCode[];
  /** Shared by all members (checked by a test). */
  readonly federalDistrict: FederalDistrictCode;
  readonly timeZone: string;
}

/** What a phone number resolves to: a subject or a macro-territory. */
export type RegionId = RegionCode | MacroTerritoryId;

const regionMap = new Map<string, Region>(REGIONS.map((r) => [r.code, r]));

/** The four macro-territories. */
export const MACRO_TERRITORIES: readonly MacroTerritory[] = Object.freeze(
  MACROS.map(([id, name, members]) => {
    const first = regionMap.get(members[0])!;
    return Object.freeze({
      id,
      name,
      members,
      federalDistrict: first.federalDistrict,
      timeZone: first.timeZone,
    });
  }),
);

const macroMap = new Map<string, MacroTerritory>(MACRO_TERRITORIES.map((m) => [m.id, m]));

/** The subject with this ISO code, or undefined. Case-sensitive: codes are upper-case. */
export function regionByCode(code: string): Region | undefined {
  return regionMap.get(code);
}

/** True when `code` is one of the 89 subject codes. */
export function isValidRegionCode(code: string): code is RegionCode {
  return regionMap.has(code);
}

/** The macro-territory with this id, or undefined. */
export function macroTerritoryById(id: string): MacroTerritory | undefined {
  return macroMap.get(id);
}

/** True when `id` is a macro-territory id such as `RU-MOW+RU-MOS`. */
export function isMacroTerritoryId(id: string): id is MacroTerritoryId {
  return macroMap.has(id);
}

/** True when `id` is a subject code or a macro-territory id. */
export function isValidRegionId(id: string): id is RegionId {
  return regionMap.has(id) || macroMap.has(id);
}

/** Federal district of a subject or macro-territory, or undefined for an unknown id. */
export function federalDistrictOf(id: string): FederalDistrictCode | undefined {
  return (regionMap.get(id) ?? macroMap.get(id))?.federalDistrict;
}

/** IANA time zone of a subject or macro-territory, or undefined for an unknown id. */
export function timeZoneOf(id: string): string | undefined {
  return (regionMap.get(id) ?? macroMap.get(id))?.timeZone;
}

/** The subjects an id stands for: the members of a macro-territory, or the subject itself. */
export function regionCodesOf(id: RegionId): readonly RegionCode[] {
  return macroMap.get(id)?.members ?? [id as RegionCode];
}

/** The macro-territory made of exactly these subjects (any order, duplicates ignored), or undefined. */
export function macroTerritoryOf(codes: Iterable<RegionCode>): MacroTerritory | undefined {
  const set = new Set(codes);
  return MACRO_TERRITORIES.find((m) => m.members.length === set.size && m.members.every((c) => set.has(c)));
}
