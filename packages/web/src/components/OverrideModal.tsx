import { OverrideBodySchema } from "@ccam/server/schemas";
import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Group, Modal, NumberInput, Stack, Text, Textarea, TextInput } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useEffect } from "react";
import { Controller, useFieldArray, useForm } from "react-hook-form";
import type { z } from "zod";
import { ApiError, api, describeError } from "../api/client";
import type { CodeLineInput, Decision } from "../api/types";
import { submitOnCtrlEnter } from "../lib/keys";
import { withFrenchMessages } from "../lib/zod-fr";
import { CodeSearch } from "./CodeSearch";

/**
 * The API's override body, with the server's justification rule stated up front (acts/justification.ts: at least
 * 15 characters of words) so the coder learns it before sending.
 */
export const OverrideFormSchema = OverrideBodySchema.extend({
  justification: OverrideBodySchema.shape.justification.refine((text) => text.trim().length >= 15, {
    message: "too short",
  }),
});
type FormInput = z.input<typeof OverrideFormSchema>;
type FormOutput = z.output<typeof OverrideFormSchema>;

export function OverrideModal({
  actId,
  opened,
  onClose,
  version,
  initial,
  onDecision,
  onRejected,
}: {
  actId: string;
  opened: boolean;
  onClose: () => void;
  version: string | null;
  initial: CodeLineInput[];
  onDecision: (decision: Decision) => void;
  onRejected: (error: unknown) => void;
}) {
  const form = useForm<FormInput, unknown, FormOutput>({
    resolver: withFrenchMessages(zodResolver(OverrideFormSchema)),
    defaultValues: { codes: initial, justification: "" },
  });
  const lines = useFieldArray({ control: form.control, name: "codes" });
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when (re)opened only, not on every render.
  useEffect(() => {
    if (opened)
      form.reset({
        codes: initial.length ? initial : [{ code: "", activity: 1, phase: 0 }],
        justification: "",
      });
  }, [opened]);
  const send = useMutation({
    mutationFn: (body: FormOutput) =>
      api<Decision>(`/validation/${actId}/override`, { method: "POST", json: body }),
    onSuccess: onDecision,
    onError: onRejected,
  });
  const errors = form.formState.errors;
  const onSubmit = form.handleSubmit((values) => send.mutate(values));
  return (
    <Modal opened={opened} onClose={onClose} title="Corriger le codage" size="xl">
      <form onSubmit={onSubmit} onKeyDown={submitOnCtrlEnter(onSubmit)} noValidate aria-label="Correction">
        <Stack gap="xs">
          {send.error != null && (
            <Alert color="red" role="alert">
              {send.error instanceof ApiError && send.error.status === 422
                ? "Règles CCAM non respectées : voir les constats sur la page. Rien n'a été enregistré."
                : describeError(send.error)}
            </Alert>
          )}
          {lines.fields.map((field, index) => (
            <Group key={field.id} gap="xs" align="flex-start" wrap="nowrap">
              <Controller
                control={form.control}
                name={`codes.${index}.code`}
                render={({ field: code }) => (
                  <CodeSearch
                    label={index === 0 ? "Code CCAM (recherche par code ou libellé)" : undefined}
                    aria-label={`Code ${index + 1}`}
                    value={code.value}
                    onChange={code.onChange}
                    version={version}
                    error={errors.codes?.[index]?.code?.message}
                    style={{ flex: 1 }}
                    autoFocus={index === 0}
                  />
                )}
              />
              <Controller
                control={form.control}
                name={`codes.${index}.activity`}
                render={({ field: activity }) => (
                  <NumberInput
                    label={index === 0 ? "Activité" : undefined}
                    aria-label={`Activité ${index + 1}`}
                    w={80}
                    min={1}
                    max={5}
                    value={activity.value}
                    onChange={(v) => activity.onChange(Number(v))}
                    error={errors.codes?.[index]?.activity?.message}
                  />
                )}
              />
              <Controller
                control={form.control}
                name={`codes.${index}.phase`}
                render={({ field: phase }) => (
                  <NumberInput
                    label={index === 0 ? "Phase" : undefined}
                    aria-label={`Phase ${index + 1}`}
                    w={70}
                    min={0}
                    max={3}
                    value={phase.value}
                    onChange={(v) => phase.onChange(Number(v))}
                  />
                )}
              />
              <Controller
                control={form.control}
                name={`codes.${index}.modifiers`}
                render={({ field: modifiers }) => (
                  <TextInput
                    label={index === 0 ? "Modificateurs" : undefined}
                    aria-label={`Modificateurs ${index + 1}`}
                    w={110}
                    placeholder="ex. J K"
                    value={(modifiers.value ?? []).join(" ")}
                    onChange={(event) =>
                      modifiers.onChange(
                        event.currentTarget.value
                          .toUpperCase()
                          .split(/[\s,]+/)
                          .filter(Boolean),
                      )
                    }
                    error={errors.codes?.[index]?.modifiers ? "1 caractère chacun" : undefined}
                  />
                )}
              />
              <Button
                variant="subtle"
                color="red"
                mt={index === 0 ? 20 : 0}
                onClick={() => lines.remove(index)}
                disabled={lines.fields.length === 1}
                aria-label={`Retirer la ligne ${index + 1}`}
              >
                Retirer
              </Button>
            </Group>
          ))}
          <Group>
            <Button
              variant="default"
              onClick={() => lines.append({ code: "", activity: 1, phase: 0, modifiers: [] })}
            >
              Ajouter un code
            </Button>
          </Group>
          <Textarea
            label="Justification (obligatoire)"
            description="Pourquoi ce codage plutôt que la suggestion ? Elle est signée, conservée dans l'audit et sert à l'apprentissage."
            required
            autosize
            minRows={3}
            error={errors.justification?.message}
            {...form.register("justification")}
          />
          <Group justify="space-between">
            <Text size="xs" c="dimmed">
              Ctrl + Entrée pour enregistrer
            </Text>
            <Group gap="xs">
              <Button variant="default" onClick={onClose}>
                Annuler
              </Button>
              <Button type="submit" loading={send.isPending}>
                Enregistrer la correction
              </Button>
            </Group>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
