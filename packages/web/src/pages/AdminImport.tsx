import { Alert, Button, Code, FileInput, Group, Progress, Stack, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, describeError } from "../api/client";
import type { ImportJob } from "../api/types";
import { formatDate } from "../lib/format";

const XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** The media type POST /ccam/imports expects, from the file's name (browsers often report CSV as Excel). */
export function uploadType(file: File): string {
  if (/\.xlsx$/i.test(file.name)) return XLSX_MIME;
  if (/\.csv$/i.test(file.name)) return "text/csv";
  return "application/octet-stream";
}

/** Sends the file itself as the body (not JSON); answers the job, running. */
export function startImport(file: File): Promise<ImportJob> {
  return api<ImportJob>("/ccam/imports", {
    method: "POST",
    query: { filename: file.name },
    raw: { body: file, type: uploadType(file) },
  });
}

const PHASES: Record<string, string> = {
  "en attente": "En attente (un autre import est en cours)",
  lecture: "Lecture et contrôle du fichier",
  chargement: "Chargement de la version en mémoire",
  terminé: "Terminé",
};
export const phaseLabel = (phase: string) => PHASES[phase] ?? `Écriture en base : ${phase}`;

/**
 * Import of a new CCAM version (admin): pick the official export, upload it, follow the import's phases, then
 * its summary or the parser's error; the versions list is refreshed when it ends.
 */
export function ImportVersion() {
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [jobId, setJobId] = useState<string>();
  const start = useMutation({ mutationFn: startImport, onSuccess: (job) => setJobId(job.id) });
  const job = useQuery({
    queryKey: ["ccam-import", jobId],
    queryFn: () => api<ImportJob>(`/ccam/imports/${jobId}`),
    enabled: Boolean(jobId),
    refetchInterval: (query) => (query.state.data?.status === "running" ? 400 : false),
    staleTime: 0,
  });
  const current = job.data ?? start.data;
  const status = current?.status;
  useEffect(() => {
    if (status && status !== "running") client.invalidateQueries({ queryKey: ["versions"] });
  }, [status, client]);
  const running = start.isPending || status === "running";
  return (
    <Stack gap="xs" data-testid="ccam-import">
      <Group gap="xs" align="flex-end">
        <FileInput
          label="Nouvelle version : export officiel de l'Assurance Maladie (CSV ou XLSX)"
          placeholder="Choisir le fichier…"
          accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          value={file}
          onChange={setFile}
          clearable
          disabled={running}
          w={460}
        />
        <Button
          disabled={!file || running}
          loading={running}
          onClick={() => {
            if (!file) return;
            setJobId(undefined);
            start.mutate(file);
          }}
        >
          Importer
        </Button>
      </Group>
      {start.error && (
        <Alert color="red" title="Envoi refusé" p="xs">
          {describeError(start.error)}
        </Alert>
      )}
      {job.error && (
        <Alert color="red" p="xs">
          {describeError(job.error)}
        </Alert>
      )}
      {current && <ImportState job={current} />}
      <Text size="xs" c="dimmed">
        Même import qu'au démarrage : un fichier déjà importé (même SHA-256) est reconnu, un fichier mal formé
        est refusé avec sa ligne et rien n'est écrit. Autres voies : déposer le fichier dans CCAM_SOURCE_DIR
        et redémarrer, ou <Code>npx ccam import FICHIER</Code>.
      </Text>
    </Stack>
  );
}

function ImportState({ job }: { job: ImportJob }) {
  const { phase, done, total } = job.progress;
  if (job.status === "running") {
    const percent = total > 0 ? Math.round((done / total) * 100) : 100;
    return (
      <Stack gap={4} data-testid="import-progress">
        <Text size="sm">
          {job.fileName} — {phaseLabel(phase)}
          {total > 0 &&
            ` : ${done.toLocaleString("fr-FR")} / ${total.toLocaleString("fr-FR")} lignes (${percent} %)`}
        </Text>
        <Progress
          value={percent}
          animated
          striped={total === 0}
          aria-label={`Import : ${phaseLabel(phase)}`}
        />
      </Stack>
    );
  }
  if (job.status === "failed") {
    return (
      <Alert color="red" title={`Import refusé : ${job.fileName}`} p="xs" data-testid="import-result">
        {job.errorLine !== undefined && <>Ligne {job.errorLine} du fichier. </>}
        {job.error} — rien n'a été écrit.
      </Alert>
    );
  }
  const s = job.summary;
  if (!s) return null;
  if (job.status === "skipped") {
    return (
      <Alert color="blue" title="Fichier déjà importé" p="xs" data-testid="import-result">
        {job.fileName} a le même SHA-256 que la version {s.version} : rien n'a été écrit.
      </Alert>
    );
  }
  return (
    <Alert color="green" title={`Version ${s.version} importée`} p="xs" data-testid="import-result">
      Applicable le {formatDate(s.effectiveDate)} : {s.acts.toLocaleString("fr-FR")} actes,{" "}
      {s.lines.toLocaleString("fr-FR")} lignes, {s.chapters.toLocaleString("fr-FR")} chapitres,{" "}
      {s.notes.toLocaleString("fr-FR")} notes ; {s.skipped} ligne(s) ignorée(s)
      {s.notEnriched !== null && `, ${s.notEnriched} acte(s) absent(s) des tables ATIH`}. SHA-256{" "}
      <span className="mono">{s.sha256.slice(0, 16)}…</span>
      {job.registration === "queued" && " — enregistrement sur la chaîne en file d'attente."}
      {job.registration === "failed" && " — l'enregistrement sur la chaîne a échoué (voir les journaux)."}
    </Alert>
  );
}
