import {
  AppShell,
  Badge,
  Burger,
  Button,
  Group,
  Kbd,
  Modal,
  NavLink,
  ScrollArea,
  Stack,
  Table,
  Text,
  Title,
} from "@mantine/core";
import { useDisclosure, useHotkeys } from "@mantine/hooks";
import type { ReactNode } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { signOut, useAuth } from "../api/auth";
import { ROLE_LABELS } from "../api/types";
import { StatusBanners } from "./StatusBanners";

interface NavItem {
  to: string;
  label: string;
  key: string;
  permission?: string | string[];
}

/** The seed's tree: Dashboard, Actes, Suggestions, Audit, Admin. */
const NAV: NavItem[] = [
  { to: "/", label: "Tableau de bord", key: "d" },
  { to: "/actes", label: "Actes", key: "l", permission: ["act:read:own", "act:read:site"] },
  { to: "/actes/nouveau", label: "Saisie d'acte", key: "s", permission: "act:create" },
  { to: "/actes/suivant", label: "Suggestions (acte suivant)", key: "n", permission: "act:code" },
  { to: "/audit", label: "Audit", key: "a", permission: "audit:read" },
  { to: "/admin", label: "Administration", key: "g", permission: ["users:manage", "referential:read"] },
];

export function Layout({ children }: { children: ReactNode }) {
  const { me, can } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [opened, { toggle }] = useDisclosure();
  const [help, helpControls] = useDisclosure();
  const allowed = (item: NavItem) =>
    item.permission === undefined || [item.permission].flat().some((p) => can(p));
  const items = NAV.filter(allowed);
  useHotkeys([
    ...items.map((item) => [item.key, () => navigate(item.to)] as [string, () => void]),
    ["shift+/", helpControls.open],
  ]);
  const active = (to: string) =>
    to === "/"
      ? location.pathname === "/"
      : location.pathname === to ||
        (to === "/actes" && /^\/actes\/[0-9a-f-]{36}/.test(location.pathname)) ||
        (to !== "/actes" && location.pathname.startsWith(`${to}/`));

  return (
    <AppShell
      header={{ height: 44 }}
      navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="sm"
    >
      <AppShell.Header>
        <Group h="100%" px="sm" justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={1} size="h4" c="blue.7">
              CCAM AI
            </Title>
            <Text size="xs" c="dimmed" visibleFrom="md">
              Codage CCAM assisté et vérifiable
            </Text>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <Text size="xs" c="dimmed" visibleFrom="sm">
              {me?.email}
            </Text>
            {me?.roles.map((role) => (
              <Badge key={role} variant="light" color="gray">
                {ROLE_LABELS[role] ?? role}
              </Badge>
            ))}
            <Button
              variant="subtle"
              size="compact-xs"
              onClick={helpControls.open}
              aria-label="Raccourcis clavier"
            >
              ?
            </Button>
            <Button
              variant="default"
              size="compact-xs"
              onClick={async () => {
                await signOut();
                navigate("/connexion");
              }}
            >
              Se déconnecter
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Navigation principale">
        <ScrollArea>
          {items.map((item) => (
            <NavLink
              key={item.to}
              component={Link}
              to={item.to}
              label={item.label}
              active={active(item.to)}
              rightSection={<Kbd size="xs">{item.key}</Kbd>}
            />
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>
        <Stack gap="sm">
          <StatusBanners />
          <main>{children}</main>
        </Stack>
      </AppShell.Main>
      <Modal opened={help} onClose={helpControls.close} title="Raccourcis clavier" size="md">
        <Table>
          <Table.Tbody>
            {items.map((item) => (
              <Table.Tr key={item.key}>
                <Table.Td>
                  <Kbd>{item.key}</Kbd>
                </Table.Td>
                <Table.Td>{item.label}</Table.Td>
              </Table.Tr>
            ))}
            <Table.Tr>
              <Table.Td>
                <Kbd>Entrée</Kbd>
              </Table.Td>
              <Table.Td>Suggestions : accepter les codes cochés</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td>
                <Kbd>c</Kbd>
              </Table.Td>
              <Table.Td>Suggestions : corriger (autres codes + justification)</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td>
                <Kbd>j</Kbd> / <Kbd>k</Kbd>
              </Table.Td>
              <Table.Td>Suggestions : suggestion suivante / précédente</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td>
                <Kbd>Ctrl</Kbd> + <Kbd>Entrée</Kbd>
              </Table.Td>
              <Table.Td>Saisie : enregistrer l'acte</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Modal>
    </AppShell>
  );
}
