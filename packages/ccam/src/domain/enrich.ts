import type { Act, ParsedReferential } from "./model.js";

/** The subset of the ATIH/CNAM tables (nomensland JSON) the importer uses, one object per row as published. */
export interface NomenslandTables {
  acts: {
    code: string;
    libelle_court?: string;
    type_acte?: string;
    compatibilite_sexe?: string;
    date_debut?: string;
    date_fin?: string;
  }[];
  icr: { code: string; activite: string; phase: string; icr: number }[];
  regroupements: { code: string; activite: string; regroupement: string; date_debut?: string }[];
  modifierLabels: { modificateur: string; libelle_modificateur: string }[];
}

export interface EnrichmentReport {
  /** Acts of the sheet found in the ATIH tables. */
  matched: number;
  /** Acts of the sheet absent from the ATIH tables (their short label, type, sex and dates stay unknown). */
  missing: string[];
}

const ACT_TYPES = { "0": "act", "1": "procedure", "2": "complement" } as const;
const SEXES = { "0": "any", "1": "male", "2": "female" } as const;

/**
 * Adds what the sheet lacks: short label, act type, sex compatibility, validity dates, ICR, and a regroupement
 * where the sheet left it empty. Mutates and returns `parsed`; the sheet's own values always win.
 */
export function enrichReferential(parsed: ParsedReferential, tables: NomenslandTables): EnrichmentReport {
  const byCode = new Map(tables.acts.map((row) => [row.code, row]));
  const icr = new Map(tables.icr.map((row) => [`${row.code}/${row.activite}/${row.phase}`, row.icr]));
  const regroupements = latestRegroupements(tables.regroupements);
  const missing: string[] = [];
  let matched = 0;
  for (const act of parsed.acts) {
    const row = byCode.get(act.code);
    if (row) {
      matched++;
      applyActRow(act, row);
    } else {
      missing.push(act.code);
    }
    for (const line of act.lines) {
      line.icr ??= icr.get(`${act.code}/${line.activity}/${line.phase}`) ?? null;
      line.regroupement ??= regroupements.get(`${act.code}/${line.activity}`) ?? null;
    }
  }
  return { matched, missing };
}

function applyActRow(act: Act, row: NomenslandTables["acts"][number]): void {
  act.shortLabel = row.libelle_court?.trim() || null;
  act.type = ACT_TYPES[row.type_acte as keyof typeof ACT_TYPES] ?? null;
  act.sex = SEXES[row.compatibilite_sexe as keyof typeof SEXES] ?? null;
  act.startDate = isoDate(row.date_debut);
  act.endDate = isoDate(row.date_fin);
}

function isoDate(value: string | undefined): string | null {
  return value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : null;
}

/** The regroupement table is dated; keep the most recent row per act and activity. */
function latestRegroupements(rows: NomenslandTables["regroupements"]): Map<string, string> {
  const latest = new Map<string, { date: string; value: string }>();
  for (const row of rows) {
    const key = `${row.code}/${row.activite}`;
    const date = row.date_debut ?? "";
    const current = latest.get(key);
    if (!current || date >= current.date) latest.set(key, { date, value: row.regroupement });
  }
  return new Map([...latest].map(([key, { value }]) => [key, value]));
}
