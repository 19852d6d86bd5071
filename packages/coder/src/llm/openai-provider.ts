import type OpenAI from "openai";
import { z } from "zod";
import type { LlmCandidate, LlmProvider } from "./provider.js";

export const RerankAnswerSchema = z.object({ codes: z.array(z.string()).max(20) });

export interface OpenAiCompatibleOptions {
  baseURL: string;
  model: string;
  apiKey?: string;
}

/** From CCAM_LLM_BASE_URL / CCAM_LLM_MODEL / CCAM_LLM_API_KEY; undefined when no base URL or model is set. */
export function llmOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): OpenAiCompatibleOptions | undefined {
  const baseURL = env.CCAM_LLM_BASE_URL;
  const model = env.CCAM_LLM_MODEL;
  if (!baseURL || !model) return undefined;
  return { baseURL, model, apiKey: env.CCAM_LLM_API_KEY };
}

const SYSTEM = [
  "Tu es un codeur CCAM. On te donne un texte clinique et une liste fermée de codes CCAM candidats avec leur libellé.",
  'Réponds uniquement en JSON {"codes": [...]} : les codes candidats qui décrivent l\'acte réalisé, du plus au moins probable.',
  "N'invente aucun code : n'utilise que les codes de la liste.",
].join(" ");

/** Any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama, a hosted API) re-ranking the offline candidates. */
export class OpenAiCompatibleProvider implements LlmProvider {
  /** The SDK is loaded by the first call: a site without an LLM never holds it in memory. */
  private client: Promise<OpenAI> | undefined;

  constructor(private readonly options: OpenAiCompatibleOptions) {}

  private connect(): Promise<OpenAI> {
    const { baseURL, apiKey } = this.options;
    this.client ??= import("openai").then(
      ({ default: OpenAI }) => new OpenAI({ baseURL, apiKey: apiKey ?? "none", maxRetries: 0 }),
    );
    return this.client;
  }

  async rerank(input: { text: string; candidates: LlmCandidate[]; signal: AbortSignal }): Promise<string[]> {
    const client = await this.connect();
    const completion = await client.chat.completions.create(
      {
        model: this.options.model,
        temperature: 0,
        response_format: { type: "json_object" },
        messages: [
          { role: "system", content: SYSTEM },
          {
            role: "user",
            content: `Texte : ${input.text}\n\nCandidats :\n${input.candidates.map((c) => `${c.code} : ${c.label}`).join("\n")}`,
          },
        ],
      },
      { signal: input.signal },
    );
    const content = completion.choices[0]?.message.content ?? "";
    const parsed = RerankAnswerSchema.safeParse(JSON.parse(content));
    if (!parsed.success) throw new Error("LLM answer does not match the expected JSON schema");
    const allowed = new Set(input.candidates.map((c) => c.code));
    return parsed.data.codes.filter((code) => allowed.has(code));
  }
}
