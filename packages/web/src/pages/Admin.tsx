import { zodResolver } from "@hookform/resolvers/zod";
import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  MultiSelect,
  Paper,
  ScrollArea,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Controller, useForm } from "react-hook-form";
import { z } from "zod";
import { useAuth } from "../api/auth";
import { api, describeError } from "../api/client";
import {
  type ReferentialDiff,
  type ReferentialVersion,
  ROLE_LABELS,
  type Role,
  type User,
} from "../api/types";
import { formatDate, formatDateTime, formatMs, formatPercent } from "../lib/format";
import { ImportVersion } from "./AdminImport";
import { useMetrics } from "./Dashboard";

const ROLE_OPTIONS = (Object.keys(ROLE_LABELS) as Role[]).map((value) => ({
  value,
  label: ROLE_LABELS[value],
}));

/** POST /admin/users body (routes/admin-users.ts), with French messages. */
const NewUserSchema = z.object({
  email: z.email("Adresse e-mail invalide").max(320),
  password: z.union([z.literal(""), z.string().min(12, "12 caractères au moins").max(256)]),
  roles: z.array(z.enum(Object.keys(ROLE_LABELS) as [Role, ...Role[]])).min(1, "Au moins un rôle"),
  site: z.string().trim().max(100),
});
type NewUser = z.infer<typeof NewUserSchema>;

export function AdminPage() {
  const { can } = useAuth();
  const first = can("users:manage") ? "users" : "referential";
  return (
    <Paper withBorder p="sm">
      <Title order={2} size="h4" mb="xs">
        Administration
      </Title>
      <Tabs defaultValue={first} keepMounted={false}>
        <Tabs.List>
          {can("users:manage") && <Tabs.Tab value="users">Utilisateurs et rôles</Tabs.Tab>}
          <Tabs.Tab value="referential">Versions CCAM</Tabs.Tab>
          {can("metrics:read") && <Tabs.Tab value="metrics">Métriques</Tabs.Tab>}
        </Tabs.List>
        <Tabs.Panel value="users" pt="sm">
          <Users />
        </Tabs.Panel>
        <Tabs.Panel value="referential" pt="sm">
          <Referential />
        </Tabs.Panel>
        <Tabs.Panel value="metrics" pt="sm">
          <Metrics />
        </Tabs.Panel>
      </Tabs>
    </Paper>
  );
}

function Users() {
  const client = useQueryClient();
  const users = useQuery({ queryKey: ["users"], queryFn: () => api<User[]>("/admin/users") });
  const update = useMutation({
    mutationFn: ({ id, body }: { id: string; body: Record<string, unknown> }) =>
      api<User>(`/admin/users/${id}`, { method: "PATCH", json: body }),
    onSuccess: (user, { body }) => {
      client.invalidateQueries({ queryKey: ["users"] });
      const what = body.resetMfa ? "MFA réinitialisée" : body.unlock ? "compte déverrouillé" : "modifié";
      notifications.show({ color: "green", message: `${user.email} : ${what}` });
    },
    onError: (error) =>
      notifications.show({ color: "red", title: "Modification refusée", message: describeError(error) }),
  });
  return (
    <Stack gap="sm">
      <CreateUser />
      {users.error && <Alert color="red">{describeError(users.error)}</Alert>}
      <ScrollArea>
        <Table striped highlightOnHover aria-label="Utilisateurs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Adresse</Table.Th>
              <Table.Th>Rôles</Table.Th>
              <Table.Th>Site</Table.Th>
              <Table.Th>État</Table.Th>
              <Table.Th>MFA</Table.Th>
              <Table.Th>Dernière connexion</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.data?.map((user) => (
              <Table.Tr key={user.id} data-testid="user-row">
                <Table.Td>
                  {user.email} {user.external && <Badge variant="outline">OIDC</Badge>}
                </Table.Td>
                <Table.Td miw={260}>
                  <MultiSelect
                    aria-label={`Rôles de ${user.email}`}
                    data={ROLE_OPTIONS}
                    value={user.roles}
                    onChange={(roles) => roles.length && update.mutate({ id: user.id, body: { roles } })}
                  />
                </Table.Td>
                <Table.Td>{user.site ?? "—"}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {user.disabled ? (
                      <Badge color="gray">Désactivé</Badge>
                    ) : (
                      <Badge color="teal">Actif</Badge>
                    )}
                    {user.locked && <Badge color="red">Verrouillé</Badge>}
                    {user.passwordChangeRequired && <Badge color="yellow">Mot de passe à changer</Badge>}
                  </Group>
                </Table.Td>
                <Table.Td>
                  {user.mfaEnabled ? <Badge color="teal">TOTP</Badge> : <Badge color="gray">Non</Badge>}
                </Table.Td>
                <Table.Td>{formatDateTime(user.lastLoginAt)}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Button
                      variant="default"
                      size="compact-xs"
                      disabled={!user.mfaEnabled}
                      onClick={() =>
                        window.confirm(`Réinitialiser la MFA de ${user.email} ?`) &&
                        update.mutate({ id: user.id, body: { resetMfa: true } })
                      }
                    >
                      Réinitialiser MFA
                    </Button>
                    <Button
                      variant="default"
                      size="compact-xs"
                      disabled={!user.locked}
                      onClick={() => update.mutate({ id: user.id, body: { unlock: true } })}
                    >
                      Déverrouiller
                    </Button>
                    <Button
                      variant="subtle"
                      color={user.disabled ? "teal" : "red"}
                      size="compact-xs"
                      onClick={() => update.mutate({ id: user.id, body: { disabled: !user.disabled } })}
                    >
                      {user.disabled ? "Réactiver" : "Désactiver"}
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
    </Stack>
  );
}

function CreateUser() {
  const client = useQueryClient();
  const [oneTime, setOneTime] = useState<{ email: string; password: string }>();
  const form = useForm<NewUser>({
    resolver: zodResolver(NewUserSchema),
    defaultValues: { email: "", password: "", roles: ["codeur"], site: "" },
  });
  const create = useMutation({
    mutationFn: (body: NewUser) =>
      api<User & { oneTimePassword?: string }>("/admin/users", {
        method: "POST",
        json: {
          email: body.email,
          roles: body.roles,
          ...(body.password ? { password: body.password } : {}),
          ...(body.site ? { site: body.site } : {}),
        },
      }),
    onSuccess: (user) => {
      client.invalidateQueries({ queryKey: ["users"] });
      form.reset();
      setOneTime(user.oneTimePassword ? { email: user.email, password: user.oneTimePassword } : undefined);
      notifications.show({ color: "green", message: `Compte ${user.email} créé` });
    },
  });
  const errors = form.formState.errors;
  return (
    <form
      onSubmit={form.handleSubmit((values) => create.mutate(values))}
      aria-label="Nouveau compte"
      noValidate
    >
      <Group align="flex-end" gap="xs">
        <TextInput label="Adresse e-mail" w={240} error={errors.email?.message} {...form.register("email")} />
        <TextInput
          label="Mot de passe (vide = à usage unique)"
          type="password"
          w={220}
          error={errors.password?.message}
          {...form.register("password")}
        />
        <Controller
          control={form.control}
          name="roles"
          render={({ field }) => (
            <MultiSelect
              label="Rôles"
              data={ROLE_OPTIONS}
              w={280}
              value={field.value}
              onChange={field.onChange}
              error={errors.roles?.message}
            />
          )}
        />
        <TextInput label="Site" w={120} {...form.register("site")} />
        <Button type="submit" loading={create.isPending}>
          Créer le compte
        </Button>
      </Group>
      {create.error && (
        <Alert color="red" mt="xs">
          {describeError(create.error)}
        </Alert>
      )}
      {oneTime && (
        <Alert color="yellow" mt="xs" title="Mot de passe à usage unique (affiché une seule fois)">
          {oneTime.email} : <Code>{oneTime.password}</Code> — à remplacer à la première connexion.
        </Alert>
      )}
    </form>
  );
}

function Referential() {
  const { can } = useAuth();
  const versions = useQuery({
    queryKey: ["versions"],
    queryFn: () => api<ReferentialVersion[]>("/ccam/versions"),
  });
  const list = versions.data ?? [];
  const [from, setFrom] = useState<string | null>(null);
  const [to, setTo] = useState<string | null>(null);
  const diff = useQuery({
    queryKey: ["diff", from, to],
    queryFn: () => api<ReferentialDiff>(`/ccam/versions/${from}/diff/${to}`),
    enabled: Boolean(from && to && from !== to),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const options = list.map((v) => ({
    value: v.version,
    label: `${v.version} (${formatDate(v.effectiveDate)})`,
  }));
  return (
    <Stack gap="sm">
      {versions.error && <Alert color="red">{describeError(versions.error)}</Alert>}
      <Table striped aria-label="Versions CCAM">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Version</Table.Th>
            <Table.Th>Applicable le</Table.Th>
            <Table.Th>Libellé</Table.Th>
            <Table.Th ta="right">Actes</Table.Th>
            <Table.Th ta="right">Lignes</Table.Th>
            <Table.Th ta="right">Lignes ignorées</Table.Th>
            <Table.Th>Importée le</Table.Th>
            <Table.Th>SHA-256 de la source</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.map((v) => (
            <Table.Tr key={v.version}>
              <Table.Td fw={700}>{v.version}</Table.Td>
              <Table.Td>{formatDate(v.effectiveDate)}</Table.Td>
              <Table.Td>{v.name}</Table.Td>
              <Table.Td ta="right">{v.stats.acts}</Table.Td>
              <Table.Td ta="right">{v.stats.lines}</Table.Td>
              <Table.Td ta="right">{v.stats.skipped}</Table.Td>
              <Table.Td>{formatDateTime(v.importedAt)}</Table.Td>
              <Table.Td className="mono">{v.sourceSha256.slice(0, 16)}…</Table.Td>
            </Table.Tr>
          ))}
          {versions.isSuccess && list.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={8}>
                <Text c="red" size="sm">
                  Aucune version importée.
                </Text>
              </Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
      {can("referential:manage") ? (
        <ImportVersion />
      ) : (
        <Text size="xs" c="dimmed">
          Nouvelle version : un administrateur l'importe ici, ou l'export officiel est déposé dans
          CCAM_SOURCE_DIR avant un redémarrage.
        </Text>
      )}
      <Title order={3} size="h5">
        Différences entre versions
      </Title>
      <Group gap="xs" align="flex-end">
        <Select label="De" data={options} value={from} onChange={setFrom} w={180} data-testid="diff-from" />
        <Select label="À" data={options} value={to} onChange={setTo} w={180} data-testid="diff-to" />
      </Group>
      {diff.error && <Alert color="red">{describeError(diff.error)}</Alert>}
      {diff.data && <DiffView diff={diff.data} />}
    </Stack>
  );
}

function DiffView({ diff }: { diff: ReferentialDiff }) {
  const show = 100;
  return (
    <Stack gap="xs" data-testid="diff">
      <Group gap="xs">
        <Badge color="teal">{diff.added.length} ajoutés</Badge>
        <Badge color="red">{diff.removed.length} supprimés</Badge>
        <Badge color="blue">{diff.changed.length} modifiés</Badge>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 3 }} spacing="xs">
        {(
          [
            ["Ajoutés", diff.added],
            ["Supprimés", diff.removed],
          ] as const
        ).map(([title, acts]) => (
          <Paper withBorder p="xs" key={title}>
            <Text fw={600} size="sm">
              {title}
            </Text>
            <ScrollArea h={240}>
              <Table>
                <Table.Tbody>
                  {acts.slice(0, show).map((a) => (
                    <Table.Tr key={a.code}>
                      <Table.Td className="mono">{a.code}</Table.Td>
                      <Table.Td>
                        <Text size="xs" lineClamp={1}>
                          {a.label}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollArea>
          </Paper>
        ))}
        <Paper withBorder p="xs">
          <Text fw={600} size="sm">
            Modifiés (champs)
          </Text>
          <ScrollArea h={240}>
            <Table>
              <Table.Tbody>
                {diff.changed.slice(0, show).map((c) => (
                  <Table.Tr key={c.code}>
                    <Table.Td className="mono">{c.code}</Table.Td>
                    <Table.Td>
                      <Text size="xs">{c.fields.join(", ")}</Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea>
        </Paper>
      </SimpleGrid>
    </Stack>
  );
}

function Metrics() {
  const metrics = useMetrics(true);
  const m = metrics.data;
  if (metrics.error) return <Alert color="red">{describeError(metrics.error)}</Alert>;
  if (!m) return null;
  const rows: [string, string][] = [
    [
      "Actes en attente / validés / corrigés",
      `${m.acts.pending} / ${m.acts.validated} / ${m.acts.overridden}`,
    ],
    ["Acceptation de la 1re suggestion", formatPercent(m.firstSuggestionAcceptanceRate, 1)],
    ["Taux de correction", formatPercent(m.overrideRate, 1)],
    ["Taux de rejet (règles bloquantes)", formatPercent(m.rejectionRate, 1)],
    [
      "Latence des suggestions p50 / p95",
      `${formatMs(m.suggestionLatencyMs.p50)} / ${formatMs(m.suggestionLatencyMs.p95)}`,
    ],
    [
      "Ancrage",
      `${m.anchoring.state} · ${m.anchoring.queueDepth} en file · retard ${formatMs(m.anchoring.lagMs)}`,
    ],
    ["LLM", `${m.llm.state}${m.llm.detail ? ` · ${m.llm.detail}` : ""}`],
    ["Alertes", m.alerts.map((a) => a.message).join(" ; ") || "aucune"],
  ];
  return (
    <Stack gap="xs">
      <Table striped aria-label="Métriques">
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}>
              <Table.Th w={320}>{label}</Table.Th>
              <Table.Td>{value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Text size="xs" c="dimmed">
        Métriques Prometheus du processus : <Code>GET /metrics</Code>. Calculées le{" "}
        {formatDateTime(m.generatedAt)}.
      </Text>
    </Stack>
  );
}
