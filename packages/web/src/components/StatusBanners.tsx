import { Alert, Group, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { api } from "../api/client";
import type { Readiness } from "../api/types";

/**
 * Degraded states, visible on every page and to every role, all read from /readyz: referential missing,
 * database unreachable, chain down (decisions queued), LLM off or not answering.
 */
export function StatusBanners() {
  const ready = useQuery({
    queryKey: ["readyz"],
    queryFn: () => api<Readiness>("/readyz", { auth: false, accept: [503] }),
    refetchInterval: 30_000,
  });
  const checks = ready.data?.checks;
  const llm = checks?.llm;
  return (
    <Group gap="xs" grow preventGrowOverflow={false} wrap="wrap" data-testid="status-banners">
      {ready.isError && (
        <Banner color="red" title="Serveur injoignable">
          l'état du service ne peut pas être lu.
        </Banner>
      )}
      {checks && !checks.database.ok && (
        <Banner color="red" title="Base de données indisponible">
          {checks.database.detail}
        </Banner>
      )}
      {checks && !checks.referential.ok && (
        <Banner color="red" title="Référentiel CCAM absent">
          aucune version importée : un administrateur l'importe dans Administration › Versions CCAM, ou
          déposez l'export officiel dans CCAM_SOURCE_DIR et redémarrez (ou
          <span className="mono"> npx ccam import FICHIER</span>).
        </Banner>
      )}
      {checks?.chain && !checks.chain.ok && (
        <Banner color="orange" title="Chaîne indisponible : décisions en file d'attente">
          elles sont enregistrées et seront ancrées au retour de la chaîne. {checks.chain.detail}
        </Banner>
      )}
      {llm && llm.state !== "ok" && (
        <Banner color={llm.state === "off" ? "gray" : "orange"} title={llmTitle(llm.state)}>
          {llm.state === "off"
            ? "suggestions du moteur hors ligne (aucun LLM configuré)."
            : `le LLM ne répond pas : l'ordre du moteur hors ligne est servi. ${llm.detail ?? ""}`}
        </Banner>
      )}
    </Group>
  );
}

/** One line per degraded state: dense, but impossible to miss. */
function Banner({ color, title, children }: { color: string; title: string; children: ReactNode }) {
  return (
    <Alert color={color} variant="light" py={4} px="xs" role="status" data-testid="degraded">
      <Text size="xs">
        <Text span fw={700} size="xs">
          {title}
        </Text>{" "}
        — {children}
      </Text>
    </Alert>
  );
}

const llmTitle = (state: string) => (state === "off" ? "LLM désactivé : moteur hors ligne" : "LLM dégradé");
