import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderAt, stubApi } from "../test/render";
import { LoginPage } from "./Login";

const routes = [
  { path: "/connexion", element: <LoginPage /> },
  { path: "/", element: <p>Accueil</p> },
];

function fill(username: string, password: string) {
  fireEvent.change(screen.getByLabelText("Identifiant (adresse e-mail)"), { target: { value: username } });
  fireEvent.change(screen.getByLabelText("Mot de passe"), { target: { value: password } });
  fireEvent.click(screen.getByRole("button", { name: "Se connecter" }));
}

describe("LoginPage", () => {
  it("sends the OAuth2 password grant as a form and signs in", async () => {
    const calls = stubApi((call) =>
      call.url === "/auth/token"
        ? {
            body: { access_token: "a", refresh_token: "r".repeat(30), expires_in: 900, token_type: "Bearer" },
          }
        : undefined,
    );
    renderAt("/connexion", routes);
    fill("codeur@chu.test", "mot de passe correct");
    await screen.findByText("Accueil");
    expect(calls.find((c) => c.url === "/auth/token")?.body).toBe(
      "grant_type=password&username=codeur%40chu.test&password=mot+de+passe+correct",
    );
  });

  it("explains the lockout on refused credentials", async () => {
    stubApi((call) =>
      call.url === "/auth/token"
        ? { status: 401, body: { type: "about:blank", title: "Identifiants invalides", status: 401 } }
        : undefined,
    );
    renderAt("/connexion", routes);
    fill("codeur@chu.test", "faux");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toMatch(/verrouillé 15 minutes/);
  });

  it("asks for the TOTP code when the account has a second factor, then answers the MFA grant", async () => {
    const calls = stubApi((call) => {
      if (call.url !== "/auth/token") return undefined;
      if (String(call.body).startsWith("grant_type=password")) {
        return {
          status: 403,
          body: {
            type: "x",
            title: "Second facteur requis",
            status: 403,
            error: "mfa_required",
            mfa_token: "MFA",
          },
        };
      }
      return {
        body: { access_token: "a", refresh_token: "r".repeat(30), expires_in: 900, token_type: "Bearer" },
      };
    });
    renderAt("/connexion", routes);
    fill("codeur@chu.test", "mot de passe correct");
    fireEvent.change(await screen.findByLabelText("ou code de secours"), {
      target: { value: "ABCD-EFGH-1234" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Vérifier" }));
    await screen.findByText("Accueil");
    await waitFor(() =>
      expect(String(calls.at(-2)?.body ?? calls.at(-1)?.body)).toContain("mfa_token=MFA&otp=ABCD-EFGH-1234"),
    );
  });

  it("says when too many attempts were made", async () => {
    stubApi((call) =>
      call.url === "/auth/token"
        ? {
            status: 429,
            body: { type: "x", title: "Trop de requêtes", status: 429, detail: "Retry in 42 s." },
          }
        : undefined,
    );
    renderAt("/connexion", routes);
    fill("a@b.c", "x");
    expect((await screen.findByRole("alert")).textContent).toMatch(/dans 42 s/);
  });
});
