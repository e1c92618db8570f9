import type { RegionCode } from '../core/regions.js';

// The first two digits of an INN are the code of the tax office's subject. Codes 01-79 and 86-92 follow
// hflabs/region `tax_office` (ФНС codes); 83 is the Nenets AO (hflabs lists its office under 29, Arkhangelsk,
// but companies registered there carry 83). 90/93/94/95 are the codes ФНС uses for the subjects added in
// 2022 [inferred from published INNs, not from an official table]. 99 (the largest-taxpayer inspectorates)
// and 84/85/88 (merged okrugs) name no current subject and are left out.
// biome-ignore format: a table reads better packed
const TAX_CODES: Readonly<Record<string, RegionCode>> = {
  '01': 'RU-AD', '02': 'RU-BA', '03': 'RU-BU', '04': 'RU-AL', '05': 'RU-DA', '06': 'RU-IN', '07': 'RU-KB',
  '08': 'RU-KL', '09': 'RU-KC', '10': 'RU-KR', '11': 'RU-KO', '12': 'RU-ME', '13': 'RU-MO', '14': 'RU-SA',
  '15': 'RU-SE', '16': 'RU-TA', '17': 'RU-TY', '18': 'RU-UD', '19': 'RU-KK', '20': 'RU-CE', '21': 'RU-CU',
  '22': 'RU-ALT', '23': 'RU-KDA', '24': 'RU-KYA', '25': 'RU-PRI', '26': 'RU-STA', '27': 'RU-KHA',
  '28': 'RU-AMU', '29': 'RU-ARK', '30': 'RU-AST', '31': 'RU-BEL', '32': 'RU-BRY', '33': 'RU-VLA',
  '34': 'RU-VGG', '35': 'RU-VLG', '36': 'RU-VOR', '37': 'RU-IVA', '38': 'RU-IRK', '39': 'RU-KGD',
  '40': 'RU-KLU', '41': 'RU-KAM', '42': 'RU-KEM', '43': 'RU-KIR', '44': 'RU-KOS', '45': 'RU-KGN',
  '46': 'RU-KRS', '47': 'RU-LEN', '48': 'RU-LIP', '49': 'RU-MAG', '50': 'RU-MOS', '51': 'RU-MUR',
  '52': 'RU-NIZ', '53': 'RU-NGR', '54': 'RU-NVS', '55': 'RU-OMS', '56': 'RU-ORE', '57': 'RU-ORL',
  '58': 'RU-PNZ', '59': 'RU-PER', '60': 'RU-PSK', '61': 'RU-ROS', '62': 'RU-RYA', '63': 'RU-SAM',
  '64': 'RU-SAR', '65': 'RU-SAK', '66': 'RU-SVE', '67': 'RU-SMO', '68': 'RU-TAM', '69': 'RU-TVE',
  '70': 'RU-TOM', '71': 'RU-TUL', '72': 'RU-TYU', '73': 'RU-ULY', '74': 'RU-CHE', '75': 'RU-ZAB',
  '76': 'RU-YAR', '77': 'RU-MOW', '78': 'RU-SPE', '79': 'RU-YEV', '83': 'RU-NEN', '86': 'RU-KHM',
  '87': 'RU-CHU', '89': 'RU-YAN', '90': 'UA-23', '91': 'UA-43', '92': 'UA-40', '93': 'UA-14',
  '94': 'UA-09', '95': 'UA-65',
};

/**
 * The subject whose tax office registered this INN (10 digits for a company, 12 for a person), or undefined.
 * Note: the registration address, not necessarily where the client is.
 */
export function regionByInn(inn: string): RegionCode | undefined {
  if (!/^(\d{10}|\d{12})$/.test(inn)) return undefined;
  return TAX_CODES[inn.slice(0, 2)];
}
