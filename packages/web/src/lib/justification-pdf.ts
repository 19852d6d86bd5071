import { jsPDF } from "jspdf";
import type { ActView, AuditTrail, Verification } from "../api/types";
import { eventLabel, formatDate, formatDateTime, formatEuro } from "./format";

/**
 * The act's justification file: the act, its decision, every audit entry with its hashes and anchoring proof,
 * and the result of the last verification. Built in the browser from the API's answers.
 */
export function justificationPdf(act: ActView, trail: AuditTrail, verification?: Verification): jsPDF {
  const doc = new jsPDF({ unit: "mm", format: "a4" });
  const width = doc.internal.pageSize.getWidth() - 30;
  let y = 18;
  const line = (
    text: string,
    options: { size?: number; bold?: boolean; mono?: boolean; gap?: number } = {},
  ) => {
    doc.setFont(options.mono ? "courier" : "helvetica", options.bold ? "bold" : "normal");
    doc.setFontSize(options.size ?? 9);
    for (const piece of doc.splitTextToSize(text, width) as string[]) {
      if (y > 280) {
        doc.addPage();
        y = 18;
      }
      doc.text(piece, 15, y);
      y += (options.size ?? 9) * 0.45;
    }
    y += options.gap ?? 1;
  };
  line("CCAM AI — Dossier de justification", { size: 15, bold: true, gap: 3 });
  line(`Acte ${act.id}`, { mono: true });
  line(`Patient (pseudonyme) : ${act.pseudonym}`, { mono: true });
  line(
    `Réalisé le ${formatDate(act.performedAt)} · spécialité ${act.specialty ?? "—"} · CCAM ${act.referentialVersion ?? "—"}`,
  );
  line(`Statut : ${act.status} · décidé le ${formatDateTime(act.decidedAt)} par ${act.decidedBy ?? "—"}`, {
    gap: 3,
  });
  line("Codage retenu", { size: 11, bold: true });
  for (const c of act.codes) {
    line(
      `${c.code}  activité ${c.activity}  phase ${c.phase}  modificateurs ${c.modifiers.join(",") || "—"}  association ${c.associationCode ?? "—"}  ${formatEuro(c.amount)}`,
      { mono: true },
    );
  }
  if (act.codes.length === 0) line("(aucun)");
  y += 2;
  line("Piste d'audit", { size: 11, bold: true });
  for (const entry of trail.entries) {
    line(
      `#${entry.position}  ${eventLabel(entry.kind)}  —  ${formatDateTime(entry.at)}  (${entry.actor.roles.join(", ")})`,
      {
        bold: true,
      },
    );
    line(`empreinte ${entry.entryHash}`, { mono: true, size: 7 });
    line(`précédente ${entry.prevHash}`, { mono: true, size: 7 });
    const payload = entry.payload as { justification?: string } | null;
    if (payload && typeof payload.justification === "string")
      line(`Justification : ${payload.justification}`);
    if (entry.anchor?.anchored) {
      line(
        `ancré : racine ${entry.anchor.batchRoot} (taille ${entry.anchor.treeSize}), transaction ${entry.anchor.txHash}, bloc ${entry.anchor.blockNumber}`,
        { mono: true, size: 7 },
      );
    } else {
      line("ancrage : en attente", { size: 8 });
    }
    y += 1;
  }
  y += 2;
  line("Vérification", { size: 11, bold: true });
  if (verification) {
    line(
      verification.verified
        ? "VÉRIFIÉ : chaîne de hachage, preuves et racines concordent."
        : "ÉCHEC DE LA VÉRIFICATION",
      {
        bold: true,
      },
    );
    for (const e of verification.entries) line(`#${e.position} ${e.kind} : ${e.anchor.detail}`, { size: 8 });
    for (const d of verification.differences) line(`différence : ${d}`, { size: 8 });
  } else {
    line("Non vérifiée lors de l'export (bouton « Vérifier »).");
  }
  line(`Édité le ${formatDateTime(new Date().toISOString())}`, { size: 7, gap: 0 });
  return doc;
}
