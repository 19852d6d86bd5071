import { Group, Progress, Text } from "@mantine/core";

/** Confidence as a bar and a percentage; colour by band (the number stays the reference). */
export function ConfidenceBar({ value }: { value: number }) {
  const percent = Math.round(value * 100);
  const color = value >= 0.7 ? "teal" : value >= 0.4 ? "yellow" : "red";
  return (
    <Group gap={6} wrap="nowrap" miw={140}>
      <Progress
        value={percent}
        color={color}
        size="md"
        w={90}
        aria-label={`Confiance ${percent} %`}
        role="progressbar"
        aria-valuenow={percent}
        aria-valuemin={0}
        aria-valuemax={100}
      />
      <Text size="xs" fw={600} w={40} ta="right" data-testid="confidence">
        {percent} %
      </Text>
    </Group>
  );
}
