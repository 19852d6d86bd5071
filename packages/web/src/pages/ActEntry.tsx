import { ActCreateSchema } from "@ccam/server/schemas";
import { zodResolver } from "@hookform/resolvers/zod";
import {
  Alert,
  Autocomplete,
  Badge,
  Button,
  Grid,
  Group,
  Kbd,
  Loader,
  NumberInput,
  Paper,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Controller, useForm } from "react-hook-form";
import { useNavigate } from "react-router";
import type { z } from "zod";
import { ApiError, api, describeError } from "../api/client";
import type { ActCreated, SuggestionResult } from "../api/types";
import { ConfidenceBar } from "../components/ConfidenceBar";
import { formatEuro, todayIso } from "../lib/format";
import { submitOnCtrlEnter } from "../lib/keys";
import { withFrenchMessages } from "../lib/zod-fr";

export const SPECIALTIES = [
  "Anesthésie-réanimation",
  "Cardiologie",
  "Chirurgie orthopédique",
  "Chirurgie viscérale et digestive",
  "Dermatologie",
  "Gastro-entérologie",
  "Gynécologie-obstétrique",
  "Ophtalmologie",
  "ORL",
  "Pneumologie",
  "Radiologie",
  "Stomatologie",
  "Urologie",
];

type FormInput = z.input<typeof ActCreateSchema>;
type FormOutput = z.output<typeof ActCreateSchema>;

/** POST /suggestions/preview: suggestions for a text being typed, nothing saved. 404 until the route exists. */
export function usePreview(text: string, performedAt: string, specialty: string | undefined) {
  const [debounced] = useDebouncedValue({ text: text.trim(), performedAt, specialty }, 700);
  return useQuery({
    queryKey: ["preview", debounced],
    queryFn: ({ signal }) =>
      api<SuggestionResult>("/suggestions/preview", {
        method: "POST",
        json: {
          text: debounced.text,
          ...(debounced.performedAt ? { performedAt: debounced.performedAt } : {}),
          ...(debounced.specialty ? { specialty: debounced.specialty } : {}),
        },
        signal,
      }),
    enabled: debounced.text.length >= 12,
    placeholderData: (previous) => previous,
    staleTime: 60_000,
    retry: false,
  });
}

export function ActEntryPage() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [sex, setSex] = useState<"" | "M" | "F">("");
  const [age, setAge] = useState<number | string>("");
  const form = useForm<FormInput, unknown, FormOutput>({
    resolver: withFrenchMessages(zodResolver(ActCreateSchema)),
    defaultValues: { patientId: "", performedAt: todayIso(), specialty: undefined, text: "", consent: true },
  });
  const text = form.watch("text") ?? "";
  const performedAt = form.watch("performedAt") ?? "";
  const specialty = form.watch("specialty");
  const preview = usePreview(text, performedAt, specialty);
  const previewMissing = preview.error instanceof ApiError && preview.error.status === 404;

  const create = useMutation({
    mutationFn: (body: FormOutput) => api<ActCreated>("/actes", { method: "POST", json: body }),
    onSuccess: (created) => {
      client.setQueryData(["suggestions", created.act.id], created.suggestions);
      client.setQueryData(["act", created.act.id], created.act);
      client.invalidateQueries({ queryKey: ["actes"] });
      client.invalidateQueries({ queryKey: ["metrics"] });
      navigate(`/actes/${created.act.id}`);
    },
  });

  const onSubmit = form.handleSubmit((values) => {
    const patient =
      sex && typeof age === "number" ? { patient: { sex, ageYears: age } } : { patient: undefined };
    create.mutate({ ...values, ...patient, specialty: values.specialty || undefined });
  });
  const errors = form.formState.errors;

  return (
    <Grid gap="sm">
      <Grid.Col span={{ base: 12, md: 7 }}>
        <Paper withBorder p="sm">
          <form
            onSubmit={onSubmit}
            onKeyDown={submitOnCtrlEnter(onSubmit)}
            noValidate
            aria-label="Saisie d'acte"
          >
            <Stack gap="xs">
              <Group justify="space-between">
                <Title order={2} size="h4">
                  Saisie d'acte
                </Title>
                <Text size="xs" c="dimmed">
                  <Kbd size="xs">Ctrl</Kbd> + <Kbd size="xs">Entrée</Kbd> pour enregistrer
                </Text>
              </Group>
              {create.error && (
                <Alert color="red" title="Acte non enregistré" role="alert">
                  {describeError(create.error)}
                </Alert>
              )}
              <Group grow align="flex-start">
                <TextInput
                  label="Identifiant patient (IPP)"
                  description="Pseudonymisé dès réception"
                  autoFocus
                  required
                  error={errors.patientId?.message}
                  {...form.register("patientId")}
                />
                <TextInput
                  label="Date de réalisation"
                  type="date"
                  required
                  error={errors.performedAt?.message}
                  {...form.register("performedAt")}
                />
              </Group>
              <Group grow align="flex-start">
                <Controller
                  control={form.control}
                  name="specialty"
                  render={({ field }) => (
                    <Autocomplete
                      label="Spécialité"
                      data={SPECIALTIES}
                      value={field.value ?? ""}
                      onChange={(value) => field.onChange(value || undefined)}
                      onBlur={field.onBlur}
                      error={errors.specialty?.message}
                    />
                  )}
                />
                <div>
                  <Text size="xs" fw={500} mb={2}>
                    Sexe
                  </Text>
                  <SegmentedControl
                    fullWidth
                    value={sex}
                    onChange={(v) => setSex(v as "" | "M" | "F")}
                    data={[
                      { value: "", label: "—" },
                      { value: "F", label: "F" },
                      { value: "M", label: "M" },
                    ]}
                    aria-label="Sexe du patient"
                  />
                </div>
                <NumberInput label="Âge (ans)" min={0} max={130} value={age} onChange={setAge} />
              </Group>
              <Textarea
                label="Texte clinique (compte rendu opératoire, consultation…)"
                required
                autosize
                minRows={8}
                maxRows={20}
                error={errors.text?.message}
                {...form.register("text")}
              />
              <Group justify="flex-end">
                <Button type="submit" size="sm" loading={create.isPending}>
                  Enregistrer et coder
                </Button>
              </Group>
            </Stack>
          </form>
        </Paper>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 5 }}>
        <Paper withBorder p="sm" aria-live="polite" aria-label="Suggestions pendant la saisie">
          <Group justify="space-between" mb="xs">
            <Title order={3} size="h5">
              Suggestions pendant la saisie
            </Title>
            {preview.isFetching && <Loader size="xs" />}
            {preview.data && <Badge variant="light">{engineLabel(preview.data.engine)}</Badge>}
          </Group>
          {text.trim().length < 12 && (
            <Text size="xs" c="dimmed">
              Les codes proposés apparaissent dès que le texte décrit l'acte.
            </Text>
          )}
          {previewMissing && (
            <Alert color="gray" variant="light" p="xs">
              Aperçu indisponible sur ce serveur (POST /suggestions/preview) : les suggestions s'affichent à
              l'enregistrement.
            </Alert>
          )}
          {preview.error && !previewMissing && (
            <Alert color="orange" variant="light" p="xs">
              {describeError(preview.error)}
            </Alert>
          )}
          {preview.data && text.trim().length >= 12 && <PreviewTable result={preview.data} />}
        </Paper>
      </Grid.Col>
    </Grid>
  );
}

export const engineLabel = (engine: string) =>
  engine === "offline" ? "Moteur hors ligne" : engine === "offline+llm" ? "Hors ligne + LLM" : engine;

function PreviewTable({ result }: { result: SuggestionResult }) {
  if (result.suggestions.length === 0) return <Text size="xs">Aucun code proposé pour ce texte.</Text>;
  return (
    <Table>
      <Table.Tbody>
        {result.suggestions.slice(0, 6).map((s) => (
          <Table.Tr key={`${s.code}-${s.activity}`}>
            <Table.Td className="mono" fw={600}>
              {s.code}
            </Table.Td>
            <Table.Td>
              <Text size="xs" lineClamp={2}>
                {s.label}
              </Text>
            </Table.Td>
            <Table.Td>
              <ConfidenceBar value={s.confidence} />
            </Table.Td>
            <Table.Td>
              <Text size="xs">{formatEuro(s.tariff)}</Text>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
