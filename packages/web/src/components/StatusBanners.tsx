import { Alert, Group } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useAuth } from "../api/auth";
import { api } from "../api/client";
import type { Readiness, WorkflowMetrics } from "../api/types";

/** Degraded states, visible on every page: referential missing, chain down (decisions queued), LLM off. */
export function StatusBanners() {
  const { can } = useAuth();
  const ready = useQuery({
    queryKey: ["readyz"],
    queryFn: () => api<Readiness>("/readyz", { auth: false, accept: [503] }),
    refetchInterval: 30_000,
  });
  const metrics = useQuery({
    queryKey: ["metrics"],
    queryFn: () => api<WorkflowMetrics>("/admin/metrics"),
    enabled: can("metrics:read"),
    refetchInterval: 15_000,
  });
  const checks = ready.data?.checks;
  const llm = metrics.data?.llm;
  return (
    <Group gap="xs" grow preventGrowOverflow={false} wrap="wrap" data-testid="status-banners">
      {ready.isError && (
        <Alert color="red" variant="light" p="xs" title="Serveur injoignable">
          L'état du service ne peut pas être lu.
        </Alert>
      )}
      {checks && !checks.database.ok && (
        <Alert color="red" variant="light" p="xs" title="Base de données indisponible">
          {checks.database.detail}
        </Alert>
      )}
      {checks && !checks.referential.ok && (
        <Alert color="red" variant="light" p="xs" title="Référentiel CCAM absent">
          Aucune version CCAM n'est importée : déposez l'export officiel dans CCAM_SOURCE_DIR et redémarrez
          (ou
          <span className="mono"> npx ccam import FICHIER</span>).
        </Alert>
      )}
      {checks?.chain && !checks.chain.ok && (
        <Alert
          color="orange"
          variant="light"
          p="xs"
          title="Chaîne indisponible : décisions en file d'attente"
        >
          Les décisions sont enregistrées et seront ancrées dès le retour de la chaîne. {checks.chain.detail}
        </Alert>
      )}
      {llm && llm.state !== "ok" && (
        <Alert
          color={llm.state === "off" ? "gray" : "orange"}
          variant="light"
          p="xs"
          title={llmTitle(llm.state)}
        >
          {llm.state === "off"
            ? "Les suggestions viennent du moteur hors ligne (aucun LLM configuré)."
            : "Le LLM ne répond pas : l'ordre du moteur hors ligne est servi."}
        </Alert>
      )}
    </Group>
  );
}

const llmTitle = (state: string) => (state === "off" ? "LLM désactivé : moteur hors ligne" : "LLM dégradé");
