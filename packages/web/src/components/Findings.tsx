import { List, Text, ThemeIcon } from "@mantine/core";
import type { Finding } from "../api/types";

/** Rule findings: blocking in red, warnings in amber, each with its reference. */
export function Findings({ findings }: { findings: Finding[] }) {
  if (findings.length === 0) return null;
  const sorted = [...findings].sort((a, b) =>
    a.severity === b.severity ? 0 : a.severity === "blocking" ? -1 : 1,
  );
  return (
    <List spacing={2} size="xs" center>
      {sorted.map((finding) => (
        <List.Item
          key={`${finding.rule}-${finding.code ?? ""}-${finding.message}`}
          data-severity={finding.severity}
          icon={
            <ThemeIcon color={finding.severity === "blocking" ? "red" : "orange"} size={14} radius="xl">
              <Text fz={9} fw={700} c="white">
                {finding.severity === "blocking" ? "!" : "i"}
              </Text>
            </ThemeIcon>
          }
        >
          <Text span size="xs" c={finding.severity === "blocking" ? "red.8" : "orange.9"} fw={500}>
            {finding.severity === "blocking" ? "Bloquant" : "Avertissement"} : {finding.message}
          </Text>{" "}
          <Text span size="xs" c="dimmed">
            ({finding.reference})
          </Text>
        </List.Item>
      ))}
    </List>
  );
}
