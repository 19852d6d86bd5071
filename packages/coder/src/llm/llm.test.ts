import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoder } from "../coder.js";
import { tinyReferential } from "../testing/fixture.js";
import { llmOptionsFromEnv, OpenAiCompatibleProvider } from "./openai-provider.js";

/** A tiny OpenAI-compatible chat endpoint whose answer and delay the test sets. */
let answer: unknown = { codes: [] };
let delayMs = 0;
let server: Server;
let baseURL = "";
let lastPrompt = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      lastPrompt = body;
      const timer = setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: "x",
            object: "chat.completion",
            created: 0,
            model: "test",
            choices: [
              {
                index: 0,
                finish_reason: "stop",
                message: { role: "assistant", content: JSON.stringify(answer) },
              },
            ],
          }),
        );
      }, delayMs);
      res.on("close", () => clearTimeout(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const text = "appendicectomie";

async function coderWithLlm(budgetMs = 1500) {
  return createCoder({
    referential: tinyReferential(),
    llm: new OpenAiCompatibleProvider({ baseURL, model: "test" }),
    llmBudgetMs: budgetMs,
  });
}

describe("OpenAI-compatible re-ranker", () => {
  it("re-orders the candidates when the model answers in time", async () => {
    const offline = (await (await createCoder({ referential: tinyReferential() })).suggest({ text }))
      .suggestions;
    const last = offline.at(-1)?.code as string;
    answer = { codes: [last] };
    delayMs = 0;
    const result = await (await coderWithLlm()).suggest({ text });
    expect(result.engine).toBe("offline+llm");
    expect(result.suggestions[0]?.code).toBe(last);
    // The model saw the closed list of candidates.
    expect(lastPrompt).toContain(last);
  });

  it("ignores codes that are not among the candidates", async () => {
    answer = { codes: ["ABCD123"] };
    delayMs = 0;
    const result = await (await coderWithLlm()).suggest({ text });
    expect(result.engine).toBe("offline");
    expect(result.suggestions.map((s) => s.code)).not.toContain("ABCD123");
  });

  it("falls back to the offline answer when the model is late", async () => {
    answer = { codes: ["HHFA001"] };
    delayMs = 3000;
    const result = await (await coderWithLlm(200)).suggest({ text });
    expect(result.engine).toBe("offline");
    expect(result.suggestions.length).toBeGreaterThan(0);
  });

  it("falls back on an answer that breaks the JSON schema", async () => {
    answer = { codes: "HHFA001" };
    delayMs = 0;
    expect((await (await coderWithLlm()).suggest({ text })).engine).toBe("offline");
  });

  it("reads its settings from the environment", () => {
    expect(llmOptionsFromEnv({})).toBeUndefined();
    expect(llmOptionsFromEnv({ CCAM_LLM_BASE_URL: "http://x/v1", CCAM_LLM_MODEL: "m" })).toMatchObject({
      model: "m",
    });
  });
});
