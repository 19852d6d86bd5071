import { zodResolver } from "@hookform/resolvers/zod";
import {
  Alert,
  Button,
  Center,
  Divider,
  Loader,
  Paper,
  PasswordInput,
  PinInput,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { Navigate, useLocation, useNavigate } from "react-router";
import { z } from "zod";
import { answerMfa, signIn, useAuth } from "../api/auth";
import { ApiError, api, describeError, session, type Tokens } from "../api/client";

/** The password grant's fields (routes/auth.ts TokenRequestSchema), as the form needs them. */
const CredentialsSchema = z.object({
  username: z.string().trim().min(1, "Saisissez votre identifiant").max(320),
  password: z.string().min(1, "Saisissez votre mot de passe").max(256),
});
type Credentials = z.infer<typeof CredentialsSchema>;

/** One answer for wrong password and locked account (the server does not tell them apart, on purpose). */
export function signInErrorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401 && error.problem.title === "Identifiants invalides") {
      return (
        "Identifiant ou mot de passe incorrect, ou compte verrouillé. Après 5 échecs consécutifs, le compte est " +
        "verrouillé 15 minutes : patientez, ou demandez à un administrateur de le déverrouiller."
      );
    }
    if (error.status === 401 && error.problem.title === "Code invalide") {
      return "Code incorrect ou déjà utilisé. Les échecs répétés verrouillent aussi le compte.";
    }
    if (error.status === 401 && error.problem.title === "Jeton MFA invalide") {
      return "La vérification a expiré : reprenez la connexion depuis le début.";
    }
    if (error.status === 403) return `${error.problem.title} : contactez un administrateur.`;
    if (error.status === 429) {
      const seconds = /(\d+) s/.exec(error.problem.detail ?? "")?.[1];
      return `Trop de tentatives depuis ce poste : réessayez ${seconds ? `dans ${seconds} s` : "dans une minute"}.`;
    }
  }
  return describeError(error);
}

function useOidcConfigured(): boolean {
  const config = useQuery({
    queryKey: ["app-config"],
    queryFn: () => api<{ oidc: boolean }>("/app/config.json", { auth: false }),
    staleTime: Number.POSITIVE_INFINITY,
  });
  return config.data?.oidc ?? false;
}

export function LoginPage() {
  const { signedIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? "/";
  const oidc = useOidcConfigured();
  const [mfaToken, setMfaToken] = useState<string>();
  const [otp, setOtp] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const form = useForm<Credentials>({
    resolver: zodResolver(CredentialsSchema),
    defaultValues: { username: "", password: "" },
  });

  if (signedIn) return <Navigate to={from} replace />;

  const onCredentials = form.handleSubmit(async ({ username, password }) => {
    setError(undefined);
    setBusy(true);
    try {
      const result = await signIn(username, password);
      if (result.kind === "mfa") setMfaToken(result.mfaToken);
      else navigate(from, { replace: true });
    } catch (e) {
      setError(signInErrorMessage(e));
    } finally {
      setBusy(false);
    }
  });

  const onOtp = async (event?: React.FormEvent) => {
    event?.preventDefault();
    if (!mfaToken) return;
    setError(undefined);
    setBusy(true);
    try {
      await answerMfa(mfaToken, otp);
      navigate(from, { replace: true });
    } catch (e) {
      setError(signInErrorMessage(e));
      if (e instanceof ApiError && e.problem.title === "Jeton MFA invalide") setMfaToken(undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" bg="gray.0">
      <Paper withBorder shadow="sm" p="lg" w={380}>
        <Stack gap="sm">
          <div>
            <Title order={1} size="h3" c="blue.7">
              CCAM AI
            </Title>
            <Text size="sm" c="dimmed">
              Codage CCAM assisté — connexion
            </Text>
          </div>
          {error && (
            <Alert color="red" variant="light" title="Connexion refusée" role="alert">
              {error}
            </Alert>
          )}
          {!mfaToken ? (
            <form onSubmit={onCredentials} noValidate>
              <Stack gap="xs">
                <TextInput
                  label="Identifiant (adresse e-mail)"
                  autoComplete="username"
                  data-autofocus
                  autoFocus
                  error={form.formState.errors.username?.message}
                  {...form.register("username")}
                />
                <PasswordInput
                  label="Mot de passe"
                  autoComplete="current-password"
                  error={form.formState.errors.password?.message}
                  {...form.register("password")}
                />
                <Button type="submit" loading={busy} size="sm">
                  Se connecter
                </Button>
              </Stack>
            </form>
          ) : (
            <form onSubmit={onOtp}>
              <Stack gap="xs">
                <Text size="sm">
                  Saisissez le code à 6 chiffres de votre application d'authentification, ou un code de
                  secours.
                </Text>
                <PinInput
                  length={6}
                  type="number"
                  oneTimeCode
                  autoFocus
                  aria-label="Code TOTP"
                  value={/^\d*$/.test(otp) ? otp : ""}
                  onChange={setOtp}
                  onComplete={(value) => setOtp(value)}
                />
                <TextInput
                  label="ou code de secours"
                  value={/^\d*$/.test(otp) ? "" : otp}
                  onChange={(event) => setOtp(event.currentTarget.value)}
                />
                <Button type="submit" loading={busy} size="sm" disabled={otp.length < 6}>
                  Vérifier
                </Button>
                <Button variant="subtle" onClick={() => setMfaToken(undefined)}>
                  Recommencer
                </Button>
              </Stack>
            </form>
          )}
          {oidc && !mfaToken && (
            <>
              <Divider label="ou" labelPosition="center" />
              <Button
                variant="default"
                size="sm"
                onClick={() => {
                  window.location.href = "/auth/oidc/login";
                }}
              >
                Se connecter avec Pro Santé Connect (OIDC)
              </Button>
            </>
          )}
        </Stack>
      </Paper>
    </Center>
  );
}

/**
 * The OpenID Connect redirect target (CCAM_OIDC_REDIRECT_URI = https://…/app/oidc/callback): hands the provider's
 * code and state to the API's callback (the attempt cookie is scoped to /auth/oidc) and keeps the tokens.
 */
export function OidcCallbackPage() {
  const navigate = useNavigate();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let cancelled = false;
    api<Tokens>(`/auth/oidc/callback${window.location.search}`, { auth: false })
      .then((tokens) => {
        if (cancelled) return;
        session.set(tokens);
        navigate("/", { replace: true });
      })
      .catch((e: unknown) => !cancelled && setError(describeError(e)));
    return () => {
      cancelled = true;
    };
  }, [navigate]);
  return (
    <Center mih="100vh">
      {error ? (
        <Alert color="red" title="Connexion OIDC refusée">
          {error}
        </Alert>
      ) : (
        <Loader aria-label="Connexion en cours" />
      )}
    </Center>
  );
}
