import type { Act, ActLine } from "../model.js";
import type { Referential, ReferentialCatalog } from "../referential.js";
import { ASSOCIATION_RATES, type AssociationItem, associate, derogationCodes } from "./association.js";
import { ageAllowed, describeAges, parseLabelAges } from "./conditions.js";
import {
  ADDITIVE_MODIFIERS,
  MAX_MODIFIERS,
  modifierRate,
  modifierRules,
  URGENCY_MODIFIERS,
} from "./modifiers.js";
import { type NoteRule, noteRules } from "./notes.js";
import type {
  AssociationCode,
  ValidationAct,
  ValidationInput,
  ValidationIssue,
  ValidationLine,
  ValidationResult,
} from "./schema.js";

const ARTICLE_I11 =
  "Dispositions générales de la CCAM, article I-11 ; Livre III, article III-3 B (règles d'association)";
const round2 = (x: number) => Math.round((x + 1e-9) * 100) / 100;

interface Resolved {
  index: number;
  input: ValidationAct;
  modifiers: string[];
  act: Act | undefined;
  line: ActLine | undefined;
  /** False once a blocking existence/date/line issue was found: the line takes no part in pricing. */
  usable: boolean;
  base: number | null;
}

/**
 * Checks the lines of one session against a loaded CCAM version and prices them. Pure: no I/O, the referential
 * is read only. Every rule and its source is listed in docs/rules.md.
 */
export function validate(input: ValidationInput, referential: Referential): ValidationResult {
  const version = referential.version.version;
  const source = `CCAM ${version} (${referential.version.name})`;
  const setting = input.setting ?? "secteur1";
  const issues: ValidationIssue[] = [];
  const add = (issue: ValidationIssue) => issues.push(issue);

  if (input.version && input.version !== version)
    add({
      rule: "version",
      severity: "warning",
      message: `La version demandée (${input.version}) n'est pas celle utilisée pour la vérification (${version}).`,
      reference: source,
    });
  if (input.date < referential.version.effectiveDate)
    add({
      rule: "version",
      severity: "warning",
      message: `La date des actes (${input.date}) précède l'entrée en vigueur de la CCAM ${version} (${referential.version.effectiveDate}).`,
      reference: source,
    });

  const resolved: Resolved[] = input.acts.map((a, index) => {
    const act = referential.act(a.code);
    const line = act?.lines.find((l) => l.activity === a.activity && l.phase === a.phase);
    const tariff = line ? (setting === "secteur1" ? line.tariffSecteur1 : line.tariffHorsSecteur1) : null;
    return { index, input: a, modifiers: a.modifiers ?? [], act, line, usable: true, base: tariff };
  });

  for (const r of resolved) checkLine(r, input, referential, setting, add, source);
  checkSession(resolved, referential, add);

  // Association, per activity (each activity is the gesture of a different physician: Livre I, art. I-3).
  const association = new Map<number, { code: AssociationCode | null; rate: number }>();
  const groups = new Map<number, AssociationItem[]>();
  for (const r of resolved) {
    if (!r.usable || !r.act || r.base === null || r.base <= 0) continue;
    const list = groups.get(r.input.activity) ?? [];
    list.push({ index: r.index, act: r.act, base: r.base });
    groups.set(r.input.activity, list);
  }
  for (const items of groups.values()) {
    const outcome = associate(items, referential);
    for (const item of items) {
      const computed = outcome.codes.get(item.index) ?? { code: null, billable: true };
      const r = resolved[item.index] as Resolved;
      const given = r.input.associationCode;
      let code = computed.code;
      let billable = computed.billable;
      const label = `${r.input.code} activité ${r.input.activity}`;
      if (!billable && given === undefined)
        add({
          rule: "association-limit",
          severity: "warning",
          code: r.input.code,
          message: `${label} n'est pas tarifable : au-delà de deux actes associés (règle ${outcome.rule}), les actes suivants ne sont pas facturés, sauf dérogation (article III-3 B 2).`,
          reference: ARTICLE_I11,
        });
      if (given !== undefined && given !== (billable ? code : undefined)) {
        const allowed = billable ? derogationCodes(code) : (["2", "3", "4", "5"] as const);
        const expected = billable
          ? code === null
            ? "aucun code"
            : `le code ${code}`
          : "aucun code (acte non tarifable)";
        if (allowed.includes(given)) {
          add({
            rule: "association-code",
            severity: "warning",
            code: r.input.code,
            message: `${label} : code d'association ${given} déclaré, le calcul donne ${expected} (règle ${outcome.rule}) ; accepté comme dérogation de l'article III-3 B 2 (membres différents, lésions traumatiques, taux plein, temps discontinus), à justifier dans le dossier.`,
            reference: ARTICLE_I11,
          });
          code = given;
          billable = true;
        } else {
          add({
            rule: "association-code",
            severity: "blocking",
            code: r.input.code,
            message: `${label} : le code d'association déclaré (${given}) contredit ${expected} attendu par la règle ${outcome.rule} (actes classés par tarif décroissant, 1 à 100 %, 2 à 50 %).`,
            reference: ARTICLE_I11,
          });
        }
      }
      association.set(item.index, { code, rate: billable ? (code ? ASSOCIATION_RATES[code] : 1) : 0 });
    }
  }

  const lines: ValidationLine[] = resolved.map((r) => {
    const assoc = association.get(r.index);
    const rate = assoc?.rate ?? 1;
    let amount: number | null = null;
    if (r.usable && r.base !== null && r.line) {
      let percent = 0;
      let fixed = 0;
      for (const code of r.modifiers) {
        const modifier = referential.modifiers.get(code);
        if (!modifier || !r.act?.modifiers.includes(code)) continue;
        const row = modifierRate(modifier, {
          activity: r.input.activity,
          regroupement: r.line.regroupement,
          setting,
        });
        if (!row) continue;
        const value = setting === "secteur1" ? row.secteur1 : row.horsSecteur1;
        if (row.kind === "percent") percent += value;
        else fixed += value;
      }
      // Percentages add up on the base, the association rate applies to the result, fixed amounts come last.
      amount = rate === 0 ? 0 : round2(round2(r.base * (1 + percent / 100) * rate) + fixed);
    }
    return {
      code: r.input.code,
      activity: r.input.activity,
      phase: r.input.phase,
      modifiers: r.modifiers,
      associationCode: assoc?.code ?? null,
      baseAmount: r.usable ? r.base : null,
      rate,
      amount,
    };
  });

  return {
    valid: !issues.some((i) => i.severity === "blocking"),
    version,
    issues,
    lines,
    total: round2(lines.reduce((sum, l) => sum + (l.amount ?? 0), 0)),
  };
}

function checkLine(
  r: Resolved,
  input: ValidationInput,
  referential: Referential,
  setting: "secteur1" | "hors_secteur1",
  add: (issue: ValidationIssue) => void,
  source: string,
): void {
  const { code, activity, phase } = r.input;
  const version = referential.version.version;
  const act = r.act;
  if (!act) {
    r.usable = false;
    add({
      rule: "code-exists",
      severity: "blocking",
      code,
      message: `L'acte ${code} n'existe pas dans la CCAM ${version}.`,
      reference: source,
    });
    return;
  }
  const datesSource = "Tables CCAM de l'ATIH/CNAM (ccam_actes : date_debut, date_fin)";
  if (act.startDate && input.date < act.startDate) {
    r.usable = false;
    add({
      rule: "code-dates",
      severity: "blocking",
      code,
      message: `L'acte ${code} n'est pas encore en vigueur le ${input.date} : il est valable à partir du ${act.startDate}.`,
      reference: datesSource,
    });
  }
  if (act.endDate && input.date > act.endDate) {
    r.usable = false;
    add({
      rule: "code-dates",
      severity: "blocking",
      code,
      message: `L'acte ${code} est fermé depuis le ${act.endDate} : il ne peut pas être facturé le ${input.date}.`,
      reference: datesSource,
    });
  }
  const available = act.lines.map((l) => `activité ${l.activity} phase ${l.phase}`).join(", ");
  if (!r.line) {
    r.usable = false;
    if (activity === 4 && !act.lines.some((l) => l.activity === 4)) {
      const anaesthesia = act.complementary.filter((c) => referential.act(c)?.chapter.startsWith("18.01"));
      add({
        rule: "anesthesia-activity",
        severity: "blocking",
        code,
        message:
          `L'acte ${code} n'a pas d'activité 4 (anesthésie) dans la CCAM ${version} : l'anesthésie se facture ` +
          (anaesthesia.length
            ? `avec l'anesthésie complémentaire indiquée sous l'acte (${anaesthesia.join(", ")}).`
            : "avec un geste d'anesthésie complémentaire du paragraphe 18.01 (ZZLP…)."),
        reference: `${source}, lignes de ${code} (${available}) ; Livre I, article I-3`,
      });
    } else {
      add({
        rule: "activity-phase",
        severity: "blocking",
        code,
        message: `L'acte ${code} n'a pas d'activité ${activity} phase ${phase} ; lignes existantes : ${available || "aucune"}.`,
        reference: `${source}, lignes de ${code}`,
      });
    }
  }
  const line = r.line;
  if (line) {
    if (r.base === null)
      add({
        rule: "not-reimbursed",
        severity: "warning",
        code,
        message: `${code} activité ${activity} phase ${phase} est « Non pris en charge » (${setting === "secteur1" ? "colonne secteur 1 / OPTAM" : "colonne hors secteur 1"}) : pas de tarif remboursable.`,
        reference: `${source}, tarifs de ${code}`,
      });
    if (line.priorApproval)
      add({
        rule: "prior-approval",
        severity: "warning",
        code,
        message: `${code} est soumis à accord préalable (AP) du service médical : sans accord, l'acte n'est pas remboursé.`,
        reference: `${source}, colonne « Accord préalable » ; Livre I, article I-4-1`,
      });
    if (line.reimbursementConditions)
      add({
        rule: "reimbursement-conditions",
        severity: "warning",
        code,
        message: `${code} n'est remboursé que sous conditions (RC) : vérifier que l'indication figurant dans ses notes est remplie.`,
        reference: `${source}, colonne « Remboursement sous conditions »`,
      });
    if (activity === 4 && !r.input.extension)
      add({
        rule: "extension-documentaire",
        severity: "warning",
        code,
        message: `${code} activité 4 : l'extension documentaire (type d'anesthésie) est attendue sur toute ligne d'anesthésie (contrôle PMSI C170).`,
        reference: "ATIH, contrôle de recueil C170 (extension documentaire des actes d'anesthésie)",
      });
  }

  // Patient
  const patient = input.patient;
  if (patient && act.sex && act.sex !== "any") {
    const wanted = act.sex === "male" ? "M" : "F";
    if (patient.sex !== wanted)
      add({
        rule: "sex",
        severity: "blocking",
        code,
        message: `L'acte ${code} est réservé aux patients de sexe ${wanted === "M" ? "masculin" : "féminin"} : incompatible avec le sexe déclaré (${patient.sex}).`,
        reference: "Tables CCAM de l'ATIH/CNAM (ccam_actes : compatibilite_sexe)",
      });
  }
  if (patient) {
    const ranges = parseLabelAges(act.label);
    if (ranges.length && !ageAllowed(ranges, patient.ageYears))
      add({
        rule: "age",
        severity: "warning",
        code,
        message: `Le libellé de ${code} pose une condition d'âge (${describeAges(ranges)}) que l'âge déclaré (${patient.ageYears} ans) ne remplit pas.`,
        reference: `${source}, libellé de ${code} : « ${act.label} »`,
      });
  }

  // Modifiers
  const { ages } = modifierRules(referential);
  const mods = r.modifiers;
  if (mods.length > MAX_MODIFIERS)
    add({
      rule: "modifier-count",
      severity: "blocking",
      code,
      message: `${code} porte ${mods.length} modificateurs : 4 au plus par ligne d'acte.`,
      reference:
        "Format de la ligne d'acte CCAM (4 modificateurs au plus) ; tableau des modificateurs (19.03)",
    });
  const seen = new Set<string>();
  for (const m of mods) {
    if (seen.has(m) && !ADDITIVE_MODIFIERS.has(m))
      add({
        rule: "modifier-duplicate",
        severity: "blocking",
        code,
        message: `${code} : le modificateur ${m} est codé deux fois sur la même ligne.`,
        reference: `${source}, tableau des modificateurs (19.03)`,
      });
    seen.add(m);
    const modifier = referential.modifiers.get(m);
    if (!modifier) {
      add({
        rule: "modifier-unknown",
        severity: "blocking",
        code,
        message: `Le modificateur ${m} n'existe pas dans le tableau des modificateurs de la CCAM ${version}.`,
        reference: `${source}, tableau des modificateurs (19.03)`,
      });
      continue;
    }
    if (!act.modifiers.includes(m))
      add({
        rule: "modifier-allowed",
        severity: "blocking",
        code,
        message: `Le modificateur ${m} (${modifier.label}) n'est pas autorisé pour ${code} ; modificateurs autorisés : ${act.modifiers.join(", ") || "aucun"}.`,
        reference: `${source}, liste des modificateurs de ${code} : [${act.modifiers.join(", ")}]`,
      });
    const range = ages.get(m);
    if (patient && range && !ageAllowed(range, patient.ageYears))
      add({
        rule: "modifier-age",
        severity: "blocking",
        code,
        message: `Le modificateur ${m} suppose un patient ${describeAges(range)} : l'âge déclaré (${patient.ageYears} ans) ne le permet pas.`,
        reference: `${source}, tableau des modificateurs, 19.03.02 « Age du patient » : « ${modifier.rates[0]?.condition ?? modifier.label} »`,
      });
  }
  for (const pair of modifierRules(referential).pairs)
    if (seen.has(pair.a) && seen.has(pair.b))
      add({
        rule: "modifier-incompatible",
        severity: "blocking",
        code,
        message: `${code} : les modificateurs ${pair.a} et ${pair.b} ne se cumulent pas (${pair.reason}).`,
        reference: `${source}, tableau des modificateurs (19.03)`,
      });
}

function checkSession(
  resolved: Resolved[],
  referential: Referential,
  add: (issue: ValidationIssue) => void,
): void {
  const version = referential.version.version;
  const present = resolved.filter((r): r is Resolved & { act: Act } => r.act !== undefined);
  const sessionActs = [...new Map(present.map((r) => [r.act.code, r.act])).values()];

  // Duplicate lines
  const keys = new Set<string>();
  for (const r of resolved) {
    const key = `${r.input.code}/${r.input.activity}/${r.input.phase}`;
    if (keys.has(key))
      add({
        rule: "duplicate-line",
        severity: "warning",
        code: r.input.code,
        message: `${r.input.code} activité ${r.input.activity} phase ${r.input.phase} est codé plusieurs fois dans la même séance : chaque acte réalisé ne se code qu'une fois (les associations se codent avec des actes distincts).`,
        reference: ARTICLE_I11,
      });
    keys.add(key);
  }

  // Complementary acts need a parent that lists them.
  for (const act of sessionActs) {
    const kind =
      act.type === "complement" || act.chapter.startsWith("18.02") || act.chapter.startsWith("19.02");
    if (!kind) continue;
    const parents = sessionActs.filter((p) => p !== act && p.complementary.includes(act.code));
    if (parents.length === 0)
      add({
        rule: "complementary-parent",
        severity: "blocking",
        code: act.code,
        message: `${act.code} est un ${act.chapter.startsWith("19.02") ? "supplément" : "geste complémentaire"} : il ne peut être facturé qu'avec un acte qui le mentionne dans sa liste, et aucun acte de la séance ne le mentionne.`,
        reference: `CCAM ${version}, chapitre ${act.chapter.startsWith("19.02") ? "19.02 (suppléments)" : "18.02 (gestes complémentaires)"} et listes entre parenthèses sous les actes ; type_acte 2 (ATIH)`,
      });
  }

  // Note exclusions and incompatibilities (act notes and the notes of every chapter above the act).
  const { byOwner } = noteRules(referential);
  const rulesOf = (act: Act): readonly NoteRule[] => {
    const own = byOwner.get(act.code) ?? [];
    const inherited = referential.chapterTrail(act.chapter).flatMap((c) => byOwner.get(c.path) ?? []);
    return inherited.length ? [...own, ...inherited] : own;
  };
  const hasAnaesthesia = present.some((r) => r.input.activity === 4 || r.act.chapter.startsWith("18.01"));
  const reported = new Set<string>();
  for (const act of sessionActs) {
    for (const rule of rulesOf(act)) {
      const hits = targetsHit(rule, act, sessionActs, hasAnaesthesia);
      for (const other of hits) {
        const pair = [act.code, other].sort().join("+");
        const key = `${rule.type}:${pair}`;
        if (reported.has(key)) continue;
        reported.add(key);
        const where = rule.ownerKind === "act" ? `note de ${rule.owner}` : `note du chapitre ${rule.owner}`;
        add({
          rule: rule.type === "exclusion" ? "note-exclusion" : "note-incompatibility",
          severity: rule.severity,
          code: act.code,
          message:
            rule.type === "exclusion"
              ? `${act.code} exclut ${other} (« À l'exclusion de ») : le cas de ${other} n'est pas décrit par ${act.code} ; coder l'un ou l'autre, pas les deux pour le même geste.`
              : `${act.code} ne peut pas être facturé avec ${other === "anesthésie" ? "un geste d'anesthésie" : other}${rule.severity === "warning" ? " (sauf l'exception clinique que la note prévoit)" : ""}.`,
          reference: `CCAM ${version}, ${where} : « ${rule.text.replace(/\s+/g, " ").trim()} »`,
        });
      }
    }
  }

  // Urgency modifiers: once per practitioner (activity), whatever the number of acts.
  const byActivity = new Map<number, Resolved[]>();
  for (const r of resolved) {
    if (!r.modifiers.some((m) => (URGENCY_MODIFIERS as readonly string[]).includes(m))) continue;
    byActivity.set(r.input.activity, [...(byActivity.get(r.input.activity) ?? []), r]);
  }
  for (const [activity, lines] of byActivity) {
    if (lines.length < 2) continue;
    add({
      rule: "modifier-once",
      severity: "blocking",
      code: lines[1]?.input.code,
      message: `Un modificateur d'urgence (O, U, P, S, F) est codé sur ${lines.length} lignes de l'activité ${activity} (${lines.map((l) => l.input.code).join(", ")}) : il ne se facture qu'une fois par praticien, quel que soit le nombre d'actes.`,
      reference: `CCAM ${version}, tableau des modificateurs, 19.03.01 « Urgence »`,
    });
  }
}

function targetsHit(rule: NoteRule, owner: Act, session: readonly Act[], hasAnaesthesia: boolean): string[] {
  const target = rule.target;
  switch (target.kind) {
    case "code":
      return session.some((a) => a.code === target.code && a !== owner) ? [target.code] : [];
    case "chapter":
      return session
        .filter(
          (a) =>
            a !== owner &&
            (a.chapter === target.path || a.chapter.startsWith(`${target.path}.`)) &&
            !(
              rule.ownerKind === "chapter" &&
              (a.chapter === rule.owner || a.chapter.startsWith(`${rule.owner}.`))
            ),
        )
        .map((a) => a.code);
    case "chapterRange":
      return session
        .filter((a) => {
          if (a === owner || target.except.includes(a.code)) return false;
          const chapter = Number(a.chapter.split(".")[0]);
          return chapter >= target.from && chapter <= target.to;
        })
        .map((a) => a.code);
    case "anesthesia":
      return hasAnaesthesia ? ["anesthésie"] : [];
  }
}

/** No version of the catalog fits the input (unknown `version`, or none in force at `date`). */
export class ReferentialVersionError extends Error {
  constructor(
    readonly reason: "unknown_version" | "no_version_at_date",
    message: string,
  ) {
    super(message);
    this.name = "ReferentialVersionError";
  }
}

/** Picks `input.version`, or the version in force at `input.date`, and validates against it. */
export function validateInCatalog(input: ValidationInput, catalog: ReferentialCatalog): ValidationResult {
  return validate(input, referentialFor(input, catalog));
}

export function referentialFor(
  input: Pick<ValidationInput, "date" | "version">,
  catalog: ReferentialCatalog,
) {
  if (input.version) {
    const referential = catalog.get(input.version);
    if (!referential) {
      const known = catalog.list().map((r) => r.version.version);
      throw new ReferentialVersionError(
        "unknown_version",
        `CCAM version ${input.version} is not loaded (known: ${known.join(", ") || "none"}).`,
      );
    }
    return referential;
  }
  const referential = catalog.atDate(input.date);
  if (!referential)
    throw new ReferentialVersionError(
      "no_version_at_date",
      `No loaded CCAM version is in force on ${input.date}.`,
    );
  return referential;
}
