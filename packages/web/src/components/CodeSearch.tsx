import { Autocomplete, type AutocompleteProps, Text } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import type { ActSearchHit } from "../api/types";

/** CCAM code field with autocomplete on the referential (GET /ccam/acts?q=). */
export function CodeSearch({
  value,
  onChange,
  version,
  ...props
}: {
  value: string;
  onChange: (code: string) => void;
  version?: string | null | undefined;
} & Omit<AutocompleteProps, "value" | "onChange" | "data">) {
  const [query] = useDebouncedValue(value.trim(), 250);
  const hits = useQuery({
    queryKey: ["ccam-search", query, version],
    queryFn: ({ signal }) =>
      api<{ version: string; hits: ActSearchHit[] }>("/ccam/acts", {
        query: { q: query, limit: 15, version: version ?? undefined },
        signal,
      }),
    enabled: query.length >= 2,
    staleTime: 5 * 60_000,
  });
  const data = (hits.data?.hits ?? []).map((hit) => ({
    value: hit.code,
    label: `${hit.code} — ${hit.label}`,
  }));
  const labels = new Map(data.map((d) => [d.value, d.label]));
  return (
    <Autocomplete
      {...props}
      value={value}
      onChange={onChange}
      data={data.map((d) => d.value)}
      filter={({ options }) => options}
      limit={15}
      maxDropdownHeight={260}
      classNames={{ input: "mono" }}
      renderOption={({ option }) => <Text size="xs">{labels.get(option.value) ?? option.value}</Text>}
      comboboxProps={{ withinPortal: true }}
    />
  );
}
