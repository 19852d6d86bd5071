import {
  Alert,
  Badge,
  Button,
  Center,
  Code,
  Grid,
  Group,
  Loader,
  Paper,
  Stack,
  Table,
  Text,
  Timeline,
  Title,
} from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { useAuth } from "../api/auth";
import { api, describeError } from "../api/client";
import {
  type AuditEntry,
  type AuditTrail,
  STATUS_COLORS,
  STATUS_LABELS,
  type Verification,
} from "../api/types";
import { eventLabel, formatDateTime, shortHash } from "../lib/format";
import { useAct } from "./Suggestions";
import { WorklistPage } from "./Worklist";

/** Audit entry point: the decided acts; a row opens its audit view. */
export function AuditIndexPage() {
  return (
    <WorklistPage title="Audit — actes décidés" target={(act) => `/actes/${act.id}/audit`} defaultStatus="" />
  );
}

function AnchorBadge({ entry }: { entry: AuditEntry }) {
  if (!entry.anchor) return <Badge color="gray">Non ancré</Badge>;
  if (!entry.anchor.anchored) return <Badge color="yellow">Ancrage en attente</Badge>;
  return <Badge color="teal">Ancré · bloc {entry.anchor.blockNumber}</Badge>;
}

export function AuditPage() {
  const { id = "" } = useParams();
  const { can } = useAuth();
  const act = useAct(id);
  const trail = useQuery({
    queryKey: ["audit", id],
    queryFn: () => api<AuditTrail>(`/audit/${id}`),
    // Anchoring happens in the background: follow it until every entry is anchored.
    refetchInterval: (query) => (query.state.data?.entries.every((e) => e.anchor?.anchored) ? false : 3000),
  });
  const verify = useMutation({ mutationFn: () => api<Verification>(`/audit/${id}/verify`) });
  const entries = trail.data?.entries ?? [];
  const anchored = entries.filter((e) => e.anchor?.anchored).length;
  const proof = [...entries].reverse().find((e) => e.anchor?.anchored)?.anchor;

  if (trail.isPending || act.isPending) {
    return (
      <Center p="xl">
        <Loader aria-label="Chargement de l'audit" />
      </Center>
    );
  }
  if (trail.error) return <Alert color="red">{describeError(trail.error)}</Alert>;

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Group gap="xs">
          <Title order={2} size="h4">
            Audit de l'acte
          </Title>
          <Text className="mono" size="xs" c="dimmed">
            {id}
          </Text>
          {act.data && <Badge color={STATUS_COLORS[act.data.status]}>{STATUS_LABELS[act.data.status]}</Badge>}
          <Badge
            color={anchored === entries.length ? "teal" : "yellow"}
            variant="light"
            data-testid="anchoring-status"
          >
            {anchored}/{entries.length} événements ancrés
          </Badge>
        </Group>
        <Group gap="xs">
          {can("audit:verify") && (
            <Button size="sm" onClick={() => verify.mutate()} loading={verify.isPending}>
              Vérifier
            </Button>
          )}
          <Button
            size="sm"
            variant="default"
            disabled={!act.data}
            onClick={async () => {
              if (!act.data || !trail.data) return;
              // The PDF library is loaded on first export only.
              const { justificationPdf } = await import("../lib/justification-pdf");
              justificationPdf(act.data, trail.data, verify.data).save(`justification-${id}.pdf`);
            }}
          >
            Exporter le dossier (PDF)
          </Button>
        </Group>
      </Group>
      {verify.error && <Alert color="red">{describeError(verify.error)}</Alert>}
      {verify.data && <VerificationResult verification={verify.data} />}
      <Grid gap="sm">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Paper withBorder p="sm">
            <Title order={3} size="h6" mb="sm">
              Chronologie
            </Title>
            <Timeline active={entries.length - 1} bulletSize={18} lineWidth={2}>
              {entries.map((entry) => (
                <Timeline.Item
                  key={entry.position}
                  title={
                    <Group gap="xs">
                      <Text size="sm" fw={600}>
                        {eventLabel(entry.kind)}
                      </Text>
                      <AnchorBadge entry={entry} />
                    </Group>
                  }
                  data-testid="audit-entry"
                  data-kind={entry.kind}
                >
                  <Text size="xs" c="dimmed">
                    {formatDateTime(entry.at)} · {entry.actor.roles.join(", ")} · requête{" "}
                    {shortHash(entry.requestId, 8)}
                  </Text>
                  <Text size="xs" className="mono">
                    empreinte {shortHash(entry.entryHash, 16)} ← {shortHash(entry.prevHash, 16)}
                  </Text>
                  {typeof (entry.payload as { justification?: unknown } | null)?.justification ===
                    "string" && (
                    <Text size="xs" mt={2}>
                      Justification : « {(entry.payload as { justification: string }).justification} »
                    </Text>
                  )}
                </Timeline.Item>
              ))}
            </Timeline>
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Paper withBorder p="sm">
            <Title order={3} size="h6" mb="xs">
              Preuve d'ancrage (dernier événement ancré)
            </Title>
            {proof ? (
              <Table data-testid="proof">
                <Table.Tbody>
                  <Table.Tr>
                    <Table.Th>Racine du lot</Table.Th>
                    <Table.Td className="mono">{shortHash(proof.batchRoot, 24)}</Table.Td>
                  </Table.Tr>
                  <Table.Tr>
                    <Table.Th>Taille de l'arbre</Table.Th>
                    <Table.Td>{proof.treeSize}</Table.Td>
                  </Table.Tr>
                  <Table.Tr>
                    <Table.Th>Transaction</Table.Th>
                    <Table.Td className="mono">{shortHash(proof.txHash, 24)}</Table.Td>
                  </Table.Tr>
                  <Table.Tr>
                    <Table.Th>Bloc</Table.Th>
                    <Table.Td>{proof.blockNumber}</Table.Td>
                  </Table.Tr>
                  <Table.Tr>
                    <Table.Th>Feuille</Table.Th>
                    <Table.Td className="mono">
                      n° {proof.seq} · {shortHash(proof.leafHash, 16)}
                    </Table.Td>
                  </Table.Tr>
                  <Table.Tr>
                    <Table.Th>Preuve d'inclusion</Table.Th>
                    <Table.Td>{proof.proof.length} nœud(s)</Table.Td>
                  </Table.Tr>
                </Table.Tbody>
              </Table>
            ) : (
              <Text size="sm" c="dimmed">
                Aucun événement n'est encore ancré : la file d'ancrage est traitée en arrière-plan (ou la
                chaîne est indisponible).
              </Text>
            )}
          </Paper>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}

function VerificationResult({ verification }: { verification: Verification }) {
  return (
    <Alert
      color={verification.verified ? "teal" : "red"}
      title={
        verification.verified
          ? "Vérifié : chaîne de hachage, preuves d'inclusion et racines sur la chaîne concordent"
          : "Échec de la vérification"
      }
      data-testid="verification"
      data-verified={verification.verified}
    >
      <Stack gap={4}>
        <Text size="xs">
          {verification.chain.ok
            ? `Chaîne de hachage intacte (${verification.chain.length} événements).`
            : `Rupture à l'événement #${verification.chain.firstBreak.position} : ${verification.chain.firstBreak.reason}`}
        </Text>
        {verification.entries.map((e) => (
          <Text size="xs" key={e.position}>
            #{e.position} {eventLabel(e.kind)} :{" "}
            <Text span c={e.anchor.ok === false ? "red" : e.anchor.ok ? "teal.8" : "dimmed"} size="xs">
              {e.anchor.ok === null ? "non ancré" : e.anchor.ok ? "preuve valide" : "preuve invalide"}
            </Text>{" "}
            <Code fz={10}>{e.anchor.detail}</Code>
          </Text>
        ))}
        {verification.differences.map((d) => (
          <Text key={d} size="xs" c="red">
            {d}
          </Text>
        ))}
      </Stack>
    </Alert>
  );
}
