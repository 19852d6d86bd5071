import {
  Alert,
  Button,
  Center,
  Code,
  Image,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { refreshNow, signOut } from "../api/auth";
import { api, describeError } from "../api/client";

/** A session restricted until the one-time password is replaced or TOTP is enrolled (GET /auth/me `pending`). */
export function AccountSetupPage({ pending }: { pending: "password_change" | "mfa_enrolment" }) {
  return (
    <Center mih="100vh" bg="gray.0">
      <Paper withBorder p="lg" w={420}>
        {pending === "password_change" ? <PasswordChange /> : <MfaEnrolment />}
      </Paper>
    </Center>
  );
}

function PasswordChange() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const change = useMutation({
    mutationFn: () =>
      api("/auth/password", { method: "POST", json: { current_password: current, new_password: next } }),
    // Every session is signed out by the change: sign in again with the new password.
    onSuccess: () => signOut(),
  });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        change.mutate();
      }}
    >
      <Stack gap="xs">
        <Title order={2} size="h4">
          Nouveau mot de passe requis
        </Title>
        <Text size="sm">Remplacez le mot de passe à usage unique (12 caractères au moins).</Text>
        {change.error && <Alert color="red">{describeError(change.error)}</Alert>}
        <PasswordInput
          label="Mot de passe actuel"
          value={current}
          onChange={(e) => setCurrent(e.currentTarget.value)}
        />
        <PasswordInput
          label="Nouveau mot de passe"
          value={next}
          onChange={(e) => setNext(e.currentTarget.value)}
        />
        <Button type="submit" loading={change.isPending}>
          Changer le mot de passe
        </Button>
      </Stack>
    </form>
  );
}

function MfaEnrolment() {
  const client = useQueryClient();
  const [code, setCode] = useState("");
  const enrol = useMutation({
    mutationFn: () =>
      api<{ secret: string; otpauth_uri: string; qr_code: string }>("/auth/mfa/enroll", { method: "POST" }),
  });
  const verify = useMutation({
    mutationFn: () =>
      api<{ recovery_codes: string[] }>("/auth/mfa/verify", { method: "POST", json: { code } }),
  });
  return (
    <Stack gap="xs">
      <Title order={2} size="h4">
        Second facteur requis
      </Title>
      <Text size="sm">Votre rôle exige une authentification à deux facteurs (TOTP).</Text>
      {(enrol.error || verify.error) && (
        <Alert color="red">{describeError(enrol.error ?? verify.error)}</Alert>
      )}
      {!enrol.data && (
        <Button onClick={() => enrol.mutate()} loading={enrol.isPending}>
          Commencer l'inscription
        </Button>
      )}
      {enrol.data && !verify.data && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            verify.mutate();
          }}
        >
          <Stack gap="xs">
            <Image src={enrol.data.qr_code} alt="QR code TOTP" w={180} />
            <Text size="xs">
              Clé : <Code>{enrol.data.secret}</Code>
            </Text>
            <TextInput
              label="Premier code (6 chiffres)"
              value={code}
              onChange={(e) => setCode(e.currentTarget.value)}
            />
            <Button type="submit" loading={verify.isPending}>
              Confirmer
            </Button>
          </Stack>
        </form>
      )}
      {verify.data && (
        <Stack gap="xs">
          <Alert color="green" title="Codes de secours (affichés une seule fois)">
            <Code block>{verify.data.recovery_codes.join("\n")}</Code>
          </Alert>
          <Button
            onClick={async () => {
              await refreshNow();
              await client.invalidateQueries({ queryKey: ["me"] });
            }}
          >
            Continuer
          </Button>
        </Stack>
      )}
    </Stack>
  );
}
