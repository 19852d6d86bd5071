const euro = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
const dateTime = new Intl.DateTimeFormat("fr-FR", { dateStyle: "short", timeStyle: "medium" });
const date = new Intl.DateTimeFormat("fr-FR", { dateStyle: "short", timeZone: "UTC" });

export const formatEuro = (amount: number | null | undefined) =>
  amount === null || amount === undefined ? "non pris en charge" : euro.format(amount);
export const formatDateTime = (iso: string | null | undefined) =>
  iso ? dateTime.format(new Date(iso)) : "—";
export const formatDate = (iso: string | null | undefined) => (iso ? date.format(new Date(iso)) : "—");
export const formatPercent = (ratio: number | null | undefined, digits = 0) =>
  ratio === null || ratio === undefined ? "—" : `${(ratio * 100).toFixed(digits).replace(".", ",")} %`;
export const formatMs = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? "—" : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
export const shortHash = (hash: string | null | undefined, length = 10) =>
  hash ? `${hash.slice(0, length + (hash.startsWith("0x") ? 2 : 0))}…` : "—";
export const todayIso = () => new Date().toISOString().slice(0, 10);

/** French labels of the audit trail's entry kinds. */
export const EVENT_LABELS: Record<string, string> = {
  "act.created": "Acte saisi",
  "act.suggested": "Suggestions calculées",
  "act.validated": "Codage validé",
  "act.overridden": "Codage corrigé (justifié, signé)",
  "act.viewed": "Texte clinique consulté",
  "patient.erased": "Données du patient effacées",
  "patient.exported": "Données du patient exportées",
};
export const eventLabel = (kind: string) => EVENT_LABELS[kind] ?? kind;
