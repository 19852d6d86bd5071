import { Tooltip } from "@mantine/core";
import type { Suggestion } from "../api/types";

/** A palette for suggestions, by rank: background tint and underline colour. */
export const SUGGESTION_COLORS = ["blue", "teal", "grape", "orange", "cyan", "pink", "lime", "indigo"];
const colorOf = (rank: number) => SUGGESTION_COLORS[rank % SUGGESTION_COLORS.length] ?? "blue";

interface Span {
  start: number;
  end: number;
  ranks: number[];
}

/** Splits the text at every evidence boundary; each piece knows which suggestions cite it. */
export function evidenceSpans(text: string, suggestions: Pick<Suggestion, "evidence">[]): Span[] {
  const cuts = new Set([0, text.length]);
  suggestions.forEach((s) => {
    for (const e of s.evidence) {
      cuts.add(Math.max(0, Math.min(text.length, e.start)));
      cuts.add(Math.max(0, Math.min(text.length, e.end)));
    }
  });
  const points = [...cuts].sort((a, b) => a - b);
  const spans: Span[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i] as number;
    const end = points[i + 1] as number;
    const ranks = suggestions.flatMap((s, rank) =>
      s.evidence.some((e) => e.start <= start && e.end >= end) ? [rank] : [],
    );
    spans.push({ start, end, ranks });
  }
  return spans;
}

/** The clinical text with each suggestion's evidence highlighted; the selected one stands out. */
export function EvidenceText({
  text,
  suggestions,
  selected,
}: {
  text: string;
  suggestions: Suggestion[];
  selected: number | undefined;
}) {
  return (
    <div className="clinical-text" data-testid="clinical-text">
      {evidenceSpans(text, suggestions).map((span) => {
        const piece = text.slice(span.start, span.end);
        if (span.ranks.length === 0) return <span key={span.start}>{piece}</span>;
        const rank =
          selected !== undefined && span.ranks.includes(selected) ? selected : (span.ranks[0] as number);
        const color = colorOf(rank);
        const codes = span.ranks.map((r) => suggestions[r]?.code).join(", ");
        return (
          <Tooltip key={span.start} label={`Justifie : ${codes}`} withArrow openDelay={300}>
            <mark
              className="evidence"
              data-selected={selected !== undefined && span.ranks.includes(selected)}
              data-codes={codes}
              style={
                {
                  "--evidence-bg": `var(--mantine-color-${color}-1)`,
                  "--evidence-line": `var(--mantine-color-${color}-6)`,
                } as React.CSSProperties
              }
            >
              {piece}
            </mark>
          </Tooltip>
        );
      })}
    </div>
  );
}
