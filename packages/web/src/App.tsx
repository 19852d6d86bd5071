import { Center, Loader } from "@mantine/core";
import type { ReactNode } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router";
import { useAuth } from "./api/auth";
import { Layout } from "./components/Layout";
import { AccountSetupPage } from "./pages/AccountSetup";
import { ActEntryPage } from "./pages/ActEntry";
import { AdminPage } from "./pages/Admin";
import { AuditIndexPage, AuditPage } from "./pages/Audit";
import { DashboardPage } from "./pages/Dashboard";
import { LoginPage, OidcCallbackPage } from "./pages/Login";
import { NextPendingPage, SuggestionsPage } from "./pages/Suggestions";
import { WorklistPage } from "./pages/Worklist";

function RequireAuth({ children }: { children: ReactNode }) {
  const { signedIn, me, loading } = useAuth();
  const location = useLocation();
  if (!signedIn) return <Navigate to="/connexion" replace state={{ from: location.pathname }} />;
  if (loading || !me) {
    return (
      <Center h="100vh">
        <Loader aria-label="Chargement" />
      </Center>
    );
  }
  if (me.pending) return <AccountSetupPage pending={me.pending} />;
  return <Layout>{children}</Layout>;
}

export function App() {
  const page = (element: ReactNode) => <RequireAuth>{element}</RequireAuth>;
  return (
    <Routes>
      <Route path="/connexion" element={<LoginPage />} />
      <Route path="/oidc/callback" element={<OidcCallbackPage />} />
      <Route path="/" element={page(<DashboardPage />)} />
      <Route path="/actes" element={page(<WorklistPage />)} />
      <Route path="/actes/nouveau" element={page(<ActEntryPage />)} />
      <Route path="/actes/suivant" element={page(<NextPendingPage />)} />
      <Route path="/actes/:id" element={page(<SuggestionsPage />)} />
      <Route path="/actes/:id/audit" element={page(<AuditPage />)} />
      <Route path="/audit" element={page(<AuditIndexPage />)} />
      <Route path="/admin" element={page(<AdminPage />)} />
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}
