import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Center,
  Checkbox,
  Grid,
  Group,
  Kbd,
  Loader,
  MultiSelect,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  Title,
} from "@mantine/core";
import { useDisclosure, useHotkeys } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, Navigate, useNavigate, useParams } from "react-router";
import { useAuth } from "../api/auth";
import { ApiError, api, describeError } from "../api/client";
import {
  type ActDetail,
  type ActView,
  type CodeLineInput,
  type Decision,
  type Finding,
  STATUS_COLORS,
  STATUS_LABELS,
  type Suggestion,
  type SuggestionResult,
} from "../api/types";
import { ConfidenceBar } from "../components/ConfidenceBar";
import { EvidenceText, SUGGESTION_COLORS } from "../components/EvidenceText";
import { Findings } from "../components/Findings";
import { OverrideModal } from "../components/OverrideModal";
import { formatDate, formatDateTime, formatEuro } from "../lib/format";
import { engineLabel } from "./ActEntry";

export interface LineChoice {
  include: boolean;
  activity: number;
  phase: number;
  modifiers: string[];
}

export const useAct = (id: string) =>
  useQuery({ queryKey: ["act", id], queryFn: () => api<ActView>(`/actes/${id}`) });

/** Act detail of the referential (activities, phases, modifiers for the pickers). */
export const useActDetail = (code: string | undefined, version: string | null | undefined) =>
  useQuery({
    queryKey: ["ccam-act", code, version],
    queryFn: () => api<ActDetail>(`/ccam/acts/${code}`, { query: { version: version ?? undefined } }),
    enabled: Boolean(code && /^[A-Z]{4}\d{3}$/.test(code)),
    staleTime: Number.POSITIVE_INFINITY,
  });

export function initialChoices(suggestions: Suggestion[]): LineChoice[] {
  const first = suggestions.findIndex((s) => !s.blocked);
  return suggestions.map((s, index) => ({
    include: index === first,
    activity: s.activity,
    phase: s.phase,
    modifiers: [],
  }));
}

export function SuggestionsPage() {
  const { id = "" } = useParams();
  const { can } = useAuth();
  const navigate = useNavigate();
  const client = useQueryClient();
  const act = useAct(id);
  const suggestions = useQuery({
    queryKey: ["suggestions", id],
    queryFn: () => api<SuggestionResult>(`/suggestions/${id}`),
    enabled: can("act:code"),
  });
  const list = suggestions.data?.suggestions ?? [];
  const [selected, setSelected] = useState(0);
  const [choices, setChoices] = useState<LineChoice[]>([]);
  const [overrideOpened, overrideControls] = useDisclosure();
  const [rejected, setRejected] = useState<Finding[]>();
  useEffect(() => {
    setChoices(initialChoices(suggestions.data?.suggestions ?? []));
    setSelected(0);
  }, [suggestions.data]);

  const pending = act.data?.status === "pending";
  const codes: CodeLineInput[] = list.flatMap((s, index) => {
    const choice = choices[index];
    return choice?.include
      ? [{ code: s.code, activity: choice.activity, phase: choice.phase, modifiers: choice.modifiers }]
      : [];
  });

  const onDecision = (decision: Decision) => {
    setRejected(undefined);
    client.setQueryData(["act", id], decision.act);
    client.invalidateQueries({ queryKey: ["actes"] });
    client.invalidateQueries({ queryKey: ["metrics"] });
    client.invalidateQueries({ queryKey: ["audit", id] });
    notifications.show({
      color: "green",
      title: decision.act.status === "overridden" ? "Correction enregistrée" : "Codage validé",
      message: `${decision.validation.lines.map((l) => l.code).join(", ")} — total ${formatEuro(decision.validation.total)}`,
    });
  };
  const onRejected = (error: unknown) => {
    if (error instanceof ApiError && error.status === 422) {
      const validation = error.problem.validation as { issues?: Finding[] } | undefined;
      setRejected(validation?.issues ?? []);
    }
  };

  const accept = useMutation({
    mutationFn: () => api<Decision>(`/validation/${id}`, { method: "POST", json: { codes } }),
    onSuccess: onDecision,
    onError: onRejected,
  });

  const canAccept = pending && can("act:validate") && codes.length > 0 && !accept.isPending;
  const focusInControl = () =>
    Boolean(document.activeElement?.closest("button, a, input, textarea, [role=option], [role=listbox]"));
  useHotkeys([
    ["Enter", () => !overrideOpened && !focusInControl() && canAccept && accept.mutate()],
    ["c", () => pending && can("act:override") && overrideControls.open()],
    ["j", () => setSelected((s) => Math.min(list.length - 1, s + 1))],
    ["k", () => setSelected((s) => Math.max(0, s - 1))],
    [
      "x",
      () =>
        setChoices((all) => all.map((c, index) => (index === selected ? { ...c, include: !c.include } : c))),
    ],
  ]);

  if (act.isPending) {
    return (
      <Center p="xl">
        <Loader aria-label="Chargement de l'acte" />
      </Center>
    );
  }
  if (act.error) return <Alert color="red">{describeError(act.error)}</Alert>;
  const view = act.data;

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Group gap="xs">
          <Title order={2} size="h4">
            Suggestions
          </Title>
          <Badge color={STATUS_COLORS[view.status]}>{STATUS_LABELS[view.status]}</Badge>
          <Text size="xs" c="dimmed">
            Patient <span className="mono">{view.pseudonym.slice(0, 14)}…</span> · réalisé le{" "}
            {formatDate(view.performedAt)} · {view.specialty ?? "spécialité non précisée"} · CCAM{" "}
            {view.referentialVersion ?? "—"}
          </Text>
        </Group>
        <Group gap="xs">
          {suggestions.data && (
            <Badge variant="light" color={suggestions.data.engine === "offline" ? "gray" : "blue"}>
              {engineLabel(suggestions.data.engine)} · {Math.round(suggestions.data.latencyMs)} ms
            </Badge>
          )}
          {can("audit:read") && (
            <Button component={Link} to={`/actes/${id}/audit`} variant="default">
              Audit
            </Button>
          )}
          <Button variant="default" onClick={() => navigate("/actes/suivant")}>
            Acte suivant{" "}
            <Kbd size="xs" ml={6}>
              n
            </Kbd>
          </Button>
        </Group>
      </Group>
      <Grid gap="sm">
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Paper withBorder p="sm">
            <Title order={3} size="h6" mb="xs">
              Texte clinique
            </Title>
            {view.text ? (
              <EvidenceText text={view.text} suggestions={list} selected={selected} />
            ) : (
              <Text size="sm" c="dimmed">
                {view.erased ? "Données du patient effacées." : "Texte non accessible à votre rôle."}
              </Text>
            )}
          </Paper>
          {!pending && <DecisionSummary act={view} />}
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Stack gap="xs">
            {suggestions.isPending && can("act:code") && <Loader size="sm" />}
            {suggestions.error && <Alert color="red">{describeError(suggestions.error)}</Alert>}
            {rejected && (
              <Alert color="red" title="Règles CCAM non respectées : rien n'a été enregistré" role="alert">
                <Findings findings={rejected} />
              </Alert>
            )}
            {accept.error != null && !(accept.error instanceof ApiError && accept.error.status === 422) && (
              <Alert color="red" role="alert">
                {describeError(accept.error)}
              </Alert>
            )}
            {suggestions.data && list.length === 0 && (
              <Alert color="gray">Aucun code proposé : utilisez « Corriger » pour coder l'acte.</Alert>
            )}
            {list.map((suggestion, index) => (
              <SuggestionCard
                key={`${suggestion.code}-${suggestion.activity}-${suggestion.phase}`}
                rank={index}
                suggestion={suggestion}
                version={view.referentialVersion}
                choice={choices[index]}
                selected={index === selected}
                editable={pending}
                onSelect={() => setSelected(index)}
                onChange={(choice) =>
                  setChoices((all) => all.map((c, i) => (i === index ? { ...c, ...choice } : c)))
                }
              />
            ))}
            {pending && (
              <Group justify="flex-end" gap="xs">
                <Text size="xs" c="dimmed">
                  <Kbd size="xs">j</Kbd>/<Kbd size="xs">k</Kbd> naviguer · <Kbd size="xs">x</Kbd> cocher ·{" "}
                  <Kbd size="xs">Entrée</Kbd> accepter · <Kbd size="xs">c</Kbd> corriger
                </Text>
                {can("act:override") && (
                  <Button variant="default" size="sm" onClick={overrideControls.open}>
                    Corriger…
                  </Button>
                )}
                {can("act:validate") && (
                  <Button
                    size="sm"
                    disabled={!canAccept}
                    loading={accept.isPending}
                    onClick={() => accept.mutate()}
                  >
                    Accepter {codes.length > 0 ? `(${codes.map((c) => c.code).join(", ")})` : ""}
                  </Button>
                )}
              </Group>
            )}
          </Stack>
        </Grid.Col>
      </Grid>
      <OverrideModal
        actId={id}
        opened={overrideOpened}
        onClose={overrideControls.close}
        version={view.referentialVersion}
        initial={
          codes.length > 0
            ? codes
            : list
                .slice(0, 1)
                .map((s) => ({ code: s.code, activity: s.activity, phase: s.phase, modifiers: [] }))
        }
        onDecision={(decision) => {
          overrideControls.close();
          onDecision(decision);
        }}
        onRejected={onRejected}
      />
    </Stack>
  );
}

function SuggestionCard({
  rank,
  suggestion,
  version,
  choice,
  selected,
  editable,
  onSelect,
  onChange,
}: {
  rank: number;
  suggestion: Suggestion;
  version: string | null;
  choice: LineChoice | undefined;
  selected: boolean;
  editable: boolean;
  onSelect: () => void;
  onChange: (choice: Partial<LineChoice>) => void;
}) {
  const detail = useActDetail(selected || choice?.include ? suggestion.code : undefined, version);
  const lines = detail.data?.lines ?? [{ activity: suggestion.activity, phase: suggestion.phase }];
  const activities = [...new Set(lines.map((l) => l.activity))];
  const phases = [
    ...new Set(
      lines.filter((l) => l.activity === (choice?.activity ?? suggestion.activity)).map((l) => l.phase),
    ),
  ];
  const color = SUGGESTION_COLORS[rank % SUGGESTION_COLORS.length];
  return (
    <Card
      withBorder
      padding="xs"
      onClick={onSelect}
      onFocus={onSelect}
      data-testid="suggestion"
      data-code={suggestion.code}
      style={{
        borderLeft: `4px solid var(--mantine-color-${color}-6)`,
        background: selected ? "var(--mantine-color-gray-0)" : undefined,
      }}
      aria-current={selected}
    >
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Group gap="xs" wrap="nowrap" align="flex-start">
          {editable && (
            <Checkbox
              mt={2}
              checked={choice?.include ?? false}
              onChange={(event) => onChange({ include: event.currentTarget.checked })}
              aria-label={`Retenir ${suggestion.code}`}
              disabled={suggestion.blocked}
            />
          )}
          <div>
            <Group gap={6}>
              <Text fw={700} className="mono" size="sm">
                {suggestion.code}
              </Text>
              {suggestion.blocked && <Badge color="red">Bloqué par les règles</Badge>}
              <Text size="xs" c="dimmed">
                #{rank + 1}
              </Text>
            </Group>
            <Text size="xs">{suggestion.label}</Text>
          </div>
        </Group>
        <Stack gap={2} align="flex-end">
          <ConfidenceBar value={suggestion.confidence} />
          <Text size="xs" fw={600}>
            {formatEuro(suggestion.tariff)}
          </Text>
        </Stack>
      </Group>
      {suggestion.evidence.length > 0 && (
        <Text size="xs" c="dimmed" mt={4}>
          Éléments du texte : {suggestion.evidence.map((e) => `« ${e.text} »`).join(", ")}
        </Text>
      )}
      <Findings findings={suggestion.findings} />
      {editable && (selected || choice?.include) && choice && (
        <Group gap="xs" mt={6} grow onClick={(event) => event.stopPropagation()}>
          <Select
            label="Activité"
            data={activities.map((a) => ({ value: String(a), label: activityLabel(a) }))}
            value={String(choice.activity)}
            onChange={(value) => value && onChange({ activity: Number(value) })}
            allowDeselect={false}
          />
          <Select
            label="Phase"
            data={(phases.length ? phases : [choice.phase]).map((p) => ({
              value: String(p),
              label: `Phase ${p}`,
            }))}
            value={String(choice.phase)}
            onChange={(value) => value && onChange({ phase: Number(value) })}
            allowDeselect={false}
          />
          <MultiSelect
            label="Modificateurs"
            data={(detail.data?.modifierDetails ?? []).map((m) => ({
              value: m.code,
              label: m.label ? `${m.code} — ${m.label}` : m.code,
            }))}
            value={choice.modifiers}
            onChange={(modifiers) => onChange({ modifiers: modifiers.slice(0, 4) })}
            placeholder={detail.data?.modifierDetails.length ? "Aucun" : "—"}
            maxValues={4}
            searchable
          />
        </Group>
      )}
    </Card>
  );
}

export const activityLabel = (activity: number) =>
  ({
    1: "1 — acte principal",
    2: "2 — aide opératoire",
    3: "3 — 2e aide",
    4: "4 — anesthésie",
    5: "5 — surveillance",
  })[activity] ?? String(activity);

function DecisionSummary({ act }: { act: ActView }) {
  return (
    <Paper withBorder p="sm" mt="sm">
      <Title order={3} size="h6" mb="xs">
        Décision — {STATUS_LABELS[act.status]} le {formatDateTime(act.decidedAt)}
      </Title>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Code</Table.Th>
            <Table.Th>Act.</Table.Th>
            <Table.Th>Phase</Table.Th>
            <Table.Th>Modif.</Table.Th>
            <Table.Th>Assoc.</Table.Th>
            <Table.Th ta="right">Montant</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {act.codes.map((line) => (
            <Table.Tr key={`${line.code}-${line.activity}-${line.phase}`}>
              <Table.Td className="mono">{line.code}</Table.Td>
              <Table.Td>{line.activity}</Table.Td>
              <Table.Td>{line.phase}</Table.Td>
              <Table.Td>{line.modifiers.join(", ") || "—"}</Table.Td>
              <Table.Td>{line.associationCode ?? "—"}</Table.Td>
              <Table.Td ta="right">{formatEuro(line.amount)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}

/** "n": the oldest pending act of the worklist (first in, first coded). */
export function NextPendingPage() {
  const next = useQuery({
    queryKey: ["actes", "next-pending"],
    queryFn: () =>
      api<{ items: ActView[]; nextCursor: string | null }>("/actes", {
        query: { status: "pending", limit: 100 },
      }),
    staleTime: 0,
  });
  if (next.isPending) {
    return (
      <Center p="xl">
        <Loader aria-label="Recherche de l'acte suivant" />
      </Center>
    );
  }
  if (next.error) return <Alert color="red">{describeError(next.error)}</Alert>;
  const oldest = next.data.items.at(-1);
  if (!oldest) {
    return (
      <Alert color="green" title="Aucun acte en attente">
        Tous les actes sont codés.{" "}
        <Anchor component={Link} to="/actes/nouveau">
          Saisir un acte
        </Anchor>
      </Alert>
    );
  }
  return <Navigate to={`/actes/${oldest.id}`} replace />;
}
