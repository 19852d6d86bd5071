/** A candidate offered to the language model: it may only choose among these. */
export interface LlmCandidate {
  code: string;
  label: string;
}

/** Re-ranks the offline candidates; returns codes in preferred order (unknown codes are ignored by the caller). */
export interface LlmProvider {
  rerank(input: { text: string; candidates: LlmCandidate[]; signal: AbortSignal }): Promise<string[]>;
}
