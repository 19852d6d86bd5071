import {
  Alert,
  Autocomplete,
  Badge,
  Button,
  Group,
  Kbd,
  Loader,
  Paper,
  SegmentedControl,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useAuth } from "../api/auth";
import { api, describeError } from "../api/client";
import { type ActStatus, type ActView, STATUS_COLORS, STATUS_LABELS } from "../api/types";
import { formatDate, formatDateTime, formatEuro } from "../lib/format";
import { SPECIALTIES } from "./ActEntry";

interface Page {
  items: ActView[];
  nextCursor: string | null;
}

export interface WorklistFilters {
  status: ActStatus | "";
  from: string;
  to: string;
  specialty: string;
}

export function useWorklist(filters: WorklistFilters) {
  const [debounced] = useDebouncedValue(filters, 300);
  return useInfiniteQuery({
    queryKey: ["actes", "list", debounced],
    queryFn: ({ pageParam, signal }) =>
      api<Page>("/actes", {
        query: {
          status: debounced.status || undefined,
          from: debounced.from || undefined,
          // The API's `to` is an instant: include the whole day chosen.
          to: debounced.to ? `${debounced.to}T23:59:59.999Z` : undefined,
          specialty: debounced.specialty.trim() || undefined,
          limit: 50,
          cursor: pageParam,
        },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 30_000,
  });
}

/** The worklist (Actes): filters by status, date and specialty; Enter opens a row, "n" the next pending act. */
export function WorklistPage({
  title = "Actes",
  target = (act: ActView) => `/actes/${act.id}`,
  defaultStatus = "",
}: {
  title?: string;
  target?: (act: ActView) => string;
  defaultStatus?: ActStatus | "";
}) {
  const navigate = useNavigate();
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const filters: WorklistFilters = {
    status: (params.get("statut") as ActStatus | null) ?? defaultStatus,
    from: params.get("du") ?? "",
    to: params.get("au") ?? "",
    specialty: params.get("specialite") ?? "",
  };
  const [specialty, setSpecialty] = useState(filters.specialty);
  const update = (key: string, value: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  const list = useWorklist({ ...filters, specialty });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Paper withBorder p="sm">
      <Group justify="space-between" mb="xs">
        <Group gap="xs">
          <Title order={2} size="h4">
            {title}
          </Title>
          {list.isFetching && <Loader size="xs" />}
        </Group>
        <Group gap="xs">
          {can("act:code") && (
            <Button variant="default" onClick={() => navigate("/actes/suivant")}>
              Ouvrir l'acte en attente suivant{" "}
              <Kbd size="xs" ml={6}>
                n
              </Kbd>
            </Button>
          )}
          {can("act:create") && <Button onClick={() => navigate("/actes/nouveau")}>Saisir un acte</Button>}
        </Group>
      </Group>
      <Group gap="xs" mb="xs" align="flex-end" role="search" aria-label="Filtres">
        <div>
          <Text size="xs" fw={500} mb={2}>
            Statut
          </Text>
          <SegmentedControl
            value={filters.status}
            onChange={(value) => update("statut", value)}
            aria-label="Statut"
            data={[
              { value: "", label: "Tous" },
              { value: "pending", label: STATUS_LABELS.pending },
              { value: "validated", label: STATUS_LABELS.validated },
              { value: "overridden", label: STATUS_LABELS.overridden },
            ]}
          />
        </div>
        <TextInput
          label="Du"
          type="date"
          value={filters.from}
          onChange={(e) => update("du", e.currentTarget.value)}
        />
        <TextInput
          label="Au"
          type="date"
          value={filters.to}
          onChange={(e) => update("au", e.currentTarget.value)}
        />
        <Autocomplete
          label="Spécialité"
          data={SPECIALTIES}
          value={specialty}
          onChange={(value) => {
            setSpecialty(value);
            update("specialite", value);
          }}
          w={220}
        />
      </Group>
      {list.error && <Alert color="red">{describeError(list.error)}</Alert>}
      <Table highlightOnHover striped stickyHeader aria-label="Liste des actes">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Saisi le</Table.Th>
            <Table.Th>Réalisé le</Table.Th>
            <Table.Th>Patient (pseudonyme)</Table.Th>
            <Table.Th>Spécialité</Table.Th>
            <Table.Th>Statut</Table.Th>
            <Table.Th>Codes</Table.Th>
            <Table.Th ta="right">Montant</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((act) => (
            <Table.Tr
              key={act.id}
              tabIndex={0}
              data-clickable="true"
              data-testid="act-row"
              data-status={act.status}
              onClick={() => navigate(target(act))}
              onKeyDown={(event) => {
                if (event.key === "Enter") navigate(target(act));
              }}
            >
              <Table.Td>{formatDateTime(act.createdAt)}</Table.Td>
              <Table.Td>{formatDate(act.performedAt)}</Table.Td>
              <Table.Td className="mono">{act.pseudonym.slice(0, 18)}…</Table.Td>
              <Table.Td>{act.specialty ?? "—"}</Table.Td>
              <Table.Td>
                <Badge color={STATUS_COLORS[act.status]} variant="light">
                  {STATUS_LABELS[act.status]}
                </Badge>
              </Table.Td>
              <Table.Td className="mono">{act.codes.map((c) => c.code).join(", ") || "—"}</Table.Td>
              <Table.Td ta="right">
                {act.codes.length ? formatEuro(act.codes.reduce((sum, c) => sum + (c.amount ?? 0), 0)) : "—"}
              </Table.Td>
            </Table.Tr>
          ))}
          {!list.isPending && rows.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={7}>
                <Text size="sm" c="dimmed" ta="center" p="md">
                  Aucun acte ne correspond aux filtres.
                </Text>
              </Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
      {list.hasNextPage && (
        <Group justify="center" mt="xs">
          <Button variant="default" onClick={() => list.fetchNextPage()} loading={list.isFetchingNextPage}>
            Charger plus
          </Button>
        </Group>
      )}
    </Paper>
  );
}
