import { BarChart, DonutChart } from "@mantine/charts";
import { Alert, Badge, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useAuth } from "../api/auth";
import { api, describeError } from "../api/client";
import type { WorkflowMetrics } from "../api/types";
import { formatDateTime, formatMs, formatPercent } from "../lib/format";

function Stat({
  label,
  value,
  hint,
  color,
}: {
  label: string;
  value: string;
  hint?: string;
  color?: string;
}) {
  return (
    <Paper withBorder p="xs">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700} c={color} data-testid={`stat-${label}`}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Paper>
  );
}

export const useMetrics = (enabled: boolean) =>
  useQuery({
    queryKey: ["metrics"],
    queryFn: () => api<WorkflowMetrics>("/admin/metrics"),
    enabled,
    refetchInterval: 15_000,
  });

/** The last `days` days, zero-filled, oldest first, labelled DD/MM. */
export function lastDays(perDay: { day: string; acts: number }[], days: number, now = new Date()) {
  const counts = new Map(perDay.map((d) => [d.day, d.acts]));
  return Array.from({ length: days }, (_, index) => {
    const day = new Date(now.getTime() - (days - 1 - index) * 86_400_000).toISOString().slice(0, 10);
    return { jour: day.slice(5).split("-").reverse().join("/"), actes: counts.get(day) ?? 0 };
  });
}

const ANCHOR_LABELS = { ok: "Actif", degraded: "Dégradé", disabled: "Désactivé" } as const;
const LLM_LABELS = { ok: "Actif", degraded: "Dégradé", off: "Désactivé" } as const;

/** Acts per day, acceptance / override / rejection rates, latency, anchoring lag, alerts; refreshed every 15 s. */
export function DashboardPage() {
  const { can } = useAuth();
  const allowed = can("metrics:read");
  const metrics = useMetrics(allowed);
  if (!allowed) {
    return (
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="xs">
          Tableau de bord
        </Title>
        <Text size="sm" mb="sm">
          Les indicateurs sont réservés aux superviseurs DIM et aux administrateurs.
        </Text>
        <Group gap="xs">
          {can("act:code") && (
            <Button component={Link} to="/actes/suivant">
              Coder l'acte en attente suivant (n)
            </Button>
          )}
          {can("act:create") && (
            <Button variant="default" component={Link} to="/actes/nouveau">
              Saisir un acte (s)
            </Button>
          )}
        </Group>
      </Paper>
    );
  }
  if (metrics.error) return <Alert color="red">{describeError(metrics.error)}</Alert>;
  const m = metrics.data;
  const total = m ? m.acts.pending + m.acts.validated + m.acts.overridden : 0;
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={2} size="h4">
          Tableau de bord
        </Title>
        <Text size="xs" c="dimmed">
          Actualisé automatiquement · {m ? formatDateTime(m.generatedAt) : "…"}
        </Text>
      </Group>
      {m?.alerts.map((alert) => (
        <Alert key={alert.kind} color="orange" variant="light" py={4} px="xs" data-testid="alert">
          <Text size="xs">
            <Text span fw={700} size="xs">
              Alerte
            </Text>{" "}
            — {alert.message}
          </Text>
        </Alert>
      ))}
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="xs">
        <Stat
          label="Actes (30 j)"
          value={m ? String(total) : "…"}
          hint={m ? `${m.acts.pending} en attente` : undefined}
        />
        <Stat
          label="Acceptation"
          value={formatPercent(m?.firstSuggestionAcceptanceRate)}
          hint="1re suggestion retenue"
          color="teal.8"
        />
        <Stat
          label="Corrections"
          value={formatPercent(m?.overrideRate)}
          hint="actes décidés corrigés"
          color="violet.8"
        />
        <Stat
          label="Rejets"
          value={formatPercent(m?.rejectionRate)}
          hint="validations bloquées par les règles"
          color={m?.rejectionRate ? "red.8" : undefined}
        />
        <Stat
          label="Latence"
          value={formatMs(m?.suggestionLatencyMs.p50)}
          hint={`p95 ${formatMs(m?.suggestionLatencyMs.p95)}`}
        />
        <Stat
          label="Retard d'ancrage"
          value={m?.anchoring.lagMs === null || !m ? "—" : formatMs(m.anchoring.lagMs)}
          hint={m ? `${m.anchoring.queueDepth} en file · ${ANCHOR_LABELS[m.anchoring.state]}` : undefined}
          color={m?.anchoring.state === "degraded" ? "orange.8" : undefined}
        />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 3 }} spacing="xs">
        <Paper withBorder p="sm" style={{ gridColumn: "span 2" }}>
          <Title order={3} size="h6" mb="xs">
            Actes par jour
          </Title>
          <BarChart
            h={220}
            data={lastDays(m?.actsPerDay ?? [], 14)}
            maxBarWidth={28}
            dataKey="jour"
            series={[{ name: "actes", label: "Actes saisis", color: "blue.6" }]}
            tickLine="y"
            withTooltip
          />
        </Paper>
        <Paper withBorder p="sm">
          <Title order={3} size="h6" mb="xs">
            Statut des actes
          </Title>
          <Group justify="center">
            <DonutChart
              size={150}
              thickness={24}
              withLabelsLine={false}
              data={[
                { name: "En attente", value: m?.acts.pending ?? 0, color: "yellow.5" },
                { name: "Validés", value: m?.acts.validated ?? 0, color: "teal.6" },
                { name: "Corrigés", value: m?.acts.overridden ?? 0, color: "violet.6" },
              ]}
              chartLabel={String(total)}
            />
          </Group>
          <Group gap={6} justify="center" mt="xs">
            <Badge color="yellow" variant="light">
              En attente {m?.acts.pending ?? 0}
            </Badge>
            <Badge color="teal" variant="light">
              Validés {m?.acts.validated ?? 0}
            </Badge>
            <Badge color="violet" variant="light">
              Corrigés {m?.acts.overridden ?? 0}
            </Badge>
          </Group>
        </Paper>
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="xs">
        <Paper withBorder p="sm">
          <Title order={3} size="h6" mb="xs">
            Motifs de correction les plus fréquents
          </Title>
          {m && m.topOverrideReasons.length > 0 ? (
            <Table>
              <Table.Tbody>
                {m.topOverrideReasons.map((r) => (
                  <Table.Tr key={r.reason}>
                    <Table.Td>{r.reason}</Table.Td>
                    <Table.Td ta="right">{r.count}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          ) : (
            <Text size="xs" c="dimmed">
              Aucune correction sur la période.
            </Text>
          )}
        </Paper>
        <Paper withBorder p="sm">
          <Title order={3} size="h6" mb="xs">
            Services
          </Title>
          <Table>
            <Table.Tbody>
              <Table.Tr>
                <Table.Td>Ancrage sur la chaîne</Table.Td>
                <Table.Td>
                  {m && (
                    <Badge
                      color={
                        m.anchoring.state === "ok"
                          ? "teal"
                          : m.anchoring.state === "degraded"
                            ? "orange"
                            : "gray"
                      }
                    >
                      {ANCHOR_LABELS[m.anchoring.state]}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="xs" c="dimmed">
                    {m?.anchoring.lastError ?? `${m?.anchoring.queueDepth ?? 0} décision(s) en file`}
                  </Text>
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Td>LLM (reclassement)</Table.Td>
                <Table.Td>
                  {m && (
                    <Badge color={m.llm.state === "ok" ? "teal" : m.llm.state === "off" ? "gray" : "orange"}>
                      {LLM_LABELS[m.llm.state]}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="xs" c="dimmed">
                    {m?.llm.detail}
                  </Text>
                </Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
        </Paper>
      </SimpleGrid>
    </Stack>
  );
}
